import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Schema } from 'apache-arrow';
import { OutputError } from '../errors.js';
import { ArrowFileWriter } from '../io/arrow-file-writer.js';
import { fsyncDir } from '../io/durable-file.js';
import type { FinishedWindow } from '../pipeline/part-committer.js';
import type { RejectRecord } from '../pipeline/reject.js';
import type { ShardSpec } from './shard-plan.js';
import type { WindowSink } from '../pipeline/stream-rows.js';

export const SHARDS_DIR = 'shards';
export const SHARD_FILE = 'shard.json';
/** Attempts build their shard in `shards/.tmp-<shard>-<attempt>` before the rename. */
export const TMP_PREFIX = '.tmp-';

/** What a committed shard records about itself (`shards/<id>/shard.json`). */
export interface ShardRecord {
  format: 'albert-pipeline/shard@1';
  shard: ShardSpec;
  task: string;
  fingerprint: Record<string, unknown>;
  part: { file: string; rows: number; bytes: number; sha256: string };
  rejects: { file: string | null; count: number; by_code: Record<string, number> };
  rows_in: number;
  rows_out: number;
  rows_rejected: number;
  tokens: number;
  counts: Record<string, number>;
  elapsed_s: number;
  execution_provider: string;
  attempt: { host: string; pid: number; id: string };
  committed_at: string;
}

export function shardDir(out: string, id: string): string {
  return join(out, SHARDS_DIR, id);
}

export async function isShardCommitted(out: string, id: string): Promise<boolean> {
  return (await stat(join(shardDir(out, id), SHARD_FILE)).catch(() => null))?.isFile() ?? false;
}

/**
 * Writes one shard: part, rejects and shard.json are built in a private temp directory,
 * fsynced, and the directory is renamed to `shards/<id>`. rename(2) cannot replace a
 * non-empty directory, so of two attempts at one shard exactly one commits (the first);
 * the other finds it done and discards its copy. Nothing another host reads is ever
 * half-written, and no coordination between hosts is needed.
 */
export class ShardCommitter implements WindowSink {
  readonly attemptId = randomBytes(6).toString('hex');
  private readonly tmpDir: string;
  private writer: ArrowFileWriter | null = null;
  private rows = 0;
  private tokens = 0;
  private readonly rejects: RejectRecord[] = [];
  private readonly counts: Record<string, number> = {};

  constructor(
    private readonly out: string,
    private readonly schema: Schema,
    private readonly shard: ShardSpec,
  ) {
    this.tmpDir = join(out, SHARDS_DIR, `${TMP_PREFIX}${shard.id}-${this.attemptId}`);
  }

  get partName(): string {
    return `part-${this.shard.id}.arrow`;
  }

  async append(w: FinishedWindow): Promise<void> {
    await this.ensureWriter();
    if (w.batch && w.rows > 0) await this.writer!.write(w.batch);
    this.rows += w.rows;
    this.tokens += w.tokens;
    this.rejects.push(...w.rejects);
    for (const [k, v] of Object.entries(w.counts)) this.counts[k] = (this.counts[k] ?? 0) + v;
  }

  /** Commits the shard; `false` when another attempt committed it first. */
  async commit(meta: { task: string; fingerprint: Record<string, unknown>; elapsedS: number; ep: string }): Promise<{ won: boolean; record: ShardRecord }> {
    await this.ensureWriter();
    const { bytes, sha256 } = await this.writer!.commit();
    const byCode: Record<string, number> = {};
    for (const r of this.rejects) byCode[r.code] = (byCode[r.code] ?? 0) + 1;
    const rejectsFile = this.rejects.length > 0 ? `rejects-${this.shard.id}.jsonl` : null;
    if (rejectsFile) {
      this.rejects.sort((a, b) => a.row - b.row);
      await writeDurable(join(this.tmpDir, rejectsFile), this.rejects.map((r) => JSON.stringify(r)).join('\n') + '\n');
    }
    if (this.rows + this.rejects.length !== this.shard.rows) {
      throw new OutputError('ALB_SHARD_ACCOUNTING', `shard ${this.shard.id}: ${this.rows} rows out + ${this.rejects.length} rejected != ${this.shard.rows} planned; the input changed since planning?`, { shard: this.shard.id });
    }
    const record: ShardRecord = {
      format: 'albert-pipeline/shard@1',
      shard: this.shard,
      task: meta.task,
      fingerprint: meta.fingerprint,
      part: { file: this.partName, rows: this.rows, bytes, sha256 },
      rejects: { file: rejectsFile, count: this.rejects.length, by_code: byCode },
      rows_in: this.shard.rows,
      rows_out: this.rows,
      rows_rejected: this.rejects.length,
      tokens: this.tokens,
      counts: this.counts,
      elapsed_s: meta.elapsedS,
      execution_provider: meta.ep,
      attempt: { host: hostname(), pid: process.pid, id: this.attemptId },
      committed_at: new Date().toISOString(),
    };
    await writeDurable(join(this.tmpDir, SHARD_FILE), `${JSON.stringify(record, null, 2)}\n`);
    await fsyncDir(this.tmpDir);
    try {
      await rename(this.tmpDir, shardDir(this.out, this.shard.id));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      await rm(this.tmpDir, { recursive: true, force: true });
      return { won: false, record };
    }
    await fsyncDir(join(this.out, SHARDS_DIR));
    return { won: true, record };
  }

  async abandon(): Promise<void> {
    await this.writer?.abandon();
    await rm(this.tmpDir, { recursive: true, force: true });
  }

  private async ensureWriter(): Promise<void> {
    if (this.writer) return;
    await mkdir(this.tmpDir, { recursive: true });
    this.writer = await ArrowFileWriter.create(join(this.tmpDir, this.partName), this.schema);
  }
}

async function writeDurable(path: string, text: string): Promise<void> {
  await writeFile(path, text, { flag: 'wx' });
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
