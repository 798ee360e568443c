import { join } from 'node:path';
import { OutputError } from '../errors.js';
import { writeFileAtomic } from '../io/durable-file.js';
import { readOutputJson } from '../io/json-text.js';

export const MANIFEST_FILE = 'manifest.json';
export const REJECTS_FILE = 'rejects.jsonl';
export const MANIFEST_FORMAT = 'albert-pipeline/manifest@1';

/** One committed part: a contiguous range of input rows, all of them accounted for. */
export interface PartEntry {
  file: string;
  /** First input row (`seq`) the part covers. */
  seqStart: number;
  /** One past the last input row it covers. */
  seqEnd: number;
  rows: number;
  rejected: number;
  bytes: number;
  sha256: string;
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
  model: { name: string; sha256: string; execution_provider: string; fallback_reason: string | null };
  /** `files`: a folder or glob input, its files (names in `path`, the folder) and sizes. */
  input: { path: string | null; bytes: number | null; files?: Array<{ name: string; bytes: number }> };
  parts: PartEntry[];
  /** Where the next part starts: input row and, when known, its byte offset. */
  next: { seq: number; offset: number | null };
  /** `files`: a sharded dataset keeps one rejects file per shard. */
  rejects: { file: string; bytes: number; by_code: Record<string, number>; files?: string[] };
  rows_in: number;
  rows_out: number;
  rows_rejected: number;
  tokens: number;
  /** Task-specific counts, e.g. rows per predicted label. */
  counts: Record<string, number>;
  elapsed_s: number;
  docs_per_s: number;
  tokens_per_s: number;
  stages_ms: StageTimes;
  started_at: string;
  updated_at: string;
}

export async function writeManifest(outDir: string, manifest: Manifest): Promise<void> {
  await writeFileAtomic(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Reads a manifest without following a symlink; `null` when there is none. */
export async function readManifest(outDir: string): Promise<Manifest | null> {
  const file = join(outDir, MANIFEST_FILE);
  const m = (await readOutputJson(file, 'ALB_MANIFEST_INVALID', 'the job in this folder cannot be resumed (use --overwrite to start over)')) as unknown as Manifest | null;
  if (m === null) return null;
  if (m.format !== MANIFEST_FORMAT || !Array.isArray(m.parts)) {
    throw new OutputError('ALB_MANIFEST_INVALID', `${file} is not an albert-pipeline manifest (format ${JSON.stringify(m.format)})`, { file });
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
