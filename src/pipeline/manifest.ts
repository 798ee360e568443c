import type { ModelVariantInfo } from '../model/model-spec.js';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { OutputError } from '../errors.js';
import { writeFileAtomic } from '../io/durable-file.js';
import { readOutputJson } from '../io/json-text.js';
import { validateManifest } from './manifest-schema.js';

export const MANIFEST_FILE = 'manifest.json';
export const REJECTS_FILE = 'rejects.jsonl';
export const MANIFEST_FORMAT = 'albert-pipeline/manifest@2';

/**
 * The bytes of the input a part was made from: `[start, end)` in the input's own bytes
 * (a folder's files laid end to end; a compressed file's compressed bytes) and their
 * sha256. Resume re-hashes each range and refuses a changed input. Null where the input
 * is a stream (stdin), which cannot be read again.
 */
export interface InputRange {
  start: number;
  end: number;
  sha256: string;
}

/** A part's lines in a rejects file: `bytes` bytes from `offset`, and their sha256 ('' hashes to the empty string's). */
export interface RejectsSlice {
  file: string;
  offset: number;
  bytes: number;
  sha256: string;
}

/** One committed part: a contiguous range of input rows, all of them accounted for. */
export interface PartEntry {
  file: string;
  /** First input row (`seq`) the part covers. */
  seqStart: number;
  /** One past the last input row it covers. */
  seqEnd: number;
  /**
   * Positions of rows `seqStart` and `seqEnd` where known (null: the input's start, or a
   * compressed input): byte offsets, or row numbers in a Parquet or Arrow input.
   */
  offsetStart: number | null;
  offsetEnd: number | null;
  rows: number;
  rejected: number;
  bytes: number;
  sha256: string;
  input: InputRange | null;
  rejects: RejectsSlice;
}

export interface StageTimes {
  readMs: number;
  tokenizeMs: number;
  queueMs: number;
  inferMs: number;
  postMs: number;
  writeMs: number;
}

/**
 * The job's source of truth. Parts appear here only after their file is durable; resume
 * trusts this file alone, and redoes whatever it does not list.
 */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  tool: { name: 'albert-pipeline'; version: string };
  task: string;
  status: 'running' | 'complete' | 'interrupted' | 'failed';
  /** Everything that determines the output bytes; --resume refuses a job whose fingerprint differs. */
  fingerprint: Record<string, unknown>;
  model: { name: string; sha256: string; execution_provider: string; fallback_reason: string | null; variant?: ModelVariantInfo | null };
  /** `files`: a folder or glob input, its files (names in `path`, the folder) and sizes. */
  input: { path: string | null; bytes: number | null; files?: Array<{ name: string; bytes: number }> };
  parts: PartEntry[];
  /** Where the next part starts: input row and, when known, its position (byte offset; row number in a Parquet or Arrow input). */
  next: { seq: number; offset: number | null };
  /** `files`: a sharded dataset keeps one rejects file per shard. `sha256`: of the file's first `bytes` bytes. */
  rejects: { file: string; bytes: number; sha256: string; by_code: Record<string, number>; files?: string[] };
  rows_in: number;
  rows_out: number;
  rows_rejected: number;
  tokens: number;
  /** Task-specific counts (e.g. rows per predicted label) and the long-document counts (`long.*`, see LONG_COUNTS). */
  counts: Record<string, number>;
  elapsed_s: number;
  docs_per_s: number;
  tokens_per_s: number;
  stages_ms: StageTimes;
  started_at: string;
  updated_at: string;
  /**
   * How to run the job again, for `albert repair`: the input as given (null for a stream)
   * and the options that shape the output, paths made absolute. Null for a merged dataset.
   */
  rerun: { input: string | null; options: Record<string, unknown> } | null;
  /** sha256 of this file's JSON without this field: a manifest damaged in place is refused, never believed. */
  checksum?: string;
}

/** Writes the manifest atomically, with the checksum of its own content. */
export async function writeManifest(outDir: string, manifest: Manifest): Promise<void> {
  const { checksum: _old, ...body } = manifest;
  await writeFileAtomic(join(outDir, MANIFEST_FILE), `${JSON.stringify({ ...body, checksum: checksumOf(body) }, null, 2)}\n`);
}

function checksumOf(body: object): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

const INVALID_HINT = 'the job in this folder cannot be resumed (use --overwrite to start over)';

/**
 * Reads a manifest without following a symlink; `null` when there is none. Its shape is
 * checked against the schema (schema/manifest.schema.json), and its content against the
 * checksum it was written with, so a damaged manifest is ALB_MANIFEST_INVALID naming what
 * is wrong, never a crash later and never believed.
 */
export async function readManifest(outDir: string): Promise<Manifest | null> {
  const file = join(outDir, MANIFEST_FILE);
  const value = await readOutputJson(file, 'ALB_MANIFEST_INVALID', INVALID_HINT);
  if (value === null) return null;
  const m = validateManifest(value, file);
  if (m.checksum !== undefined) {
    const { checksum, ...body } = m;
    if (checksumOf(body) !== checksum) {
      throw new OutputError('ALB_MANIFEST_INVALID', `${file} was changed after the job wrote it (its content does not match its checksum); ${INVALID_HINT}`, { file, field: 'checksum' });
    }
  }
  return m;
}

/**
 * The first key on which two fingerprints disagree (values compared as JSON), or null when
 * they agree. Resume, a shared shard plan and a queue worker all refuse to add output made
 * under another fingerprint; each names the key in its own error.
 *
 * @example
 * ```ts
 * fingerprintDifference({ pooling: 'mean' }, { pooling: 'cls' }); // { key: 'pooling', was: 'mean', now: 'cls' }
 * ```
 */
export function fingerprintDifference(was: Record<string, unknown>, now: Record<string, unknown>): { key: string; was: unknown; now: unknown } | null {
  for (const key of new Set([...Object.keys(was), ...Object.keys(now)])) {
    if (JSON.stringify(was[key]) !== JSON.stringify(now[key])) return { key, was: was[key], now: now[key] };
  }
  return null;
}
