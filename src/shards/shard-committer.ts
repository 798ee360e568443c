import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Schema } from 'apache-arrow';
import { OutputError } from '../errors.js';
import { fsyncDir, writeFileAtomic } from '../io/durable-file.js';
import type { OutputFormatEntry } from '../io/output-formats.js';
import { PartSink } from '../pipeline/window-sink.js';
import type { ShardSpec } from './shard-plan.js';

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
 *
 * @example
 * ```ts
 * const c = new ShardCommitter(out, OUTPUT_FORMATS.arrow, schema, shard);
 * for (const w of windows) await c.append(w);
 * const { won } = await c.commit({ task: 'embed', fingerprint, elapsedS, ep: 'cpu' });
 * ```
 */
export class ShardCommitter extends PartSink {
  readonly attemptId = randomBytes(6).toString('hex');
  private readonly tmpDir: string;

  constructor(
    private readonly out: string,
    format: OutputFormatEntry,
    schema: Schema,
    private readonly shard: ShardSpec,
  ) {
    super(out, format, schema, 'committed shards are kept: free space and run the shard again (rerun the command; a queue worker retries it)');
    this.tmpDir = join(out, SHARDS_DIR, `${TMP_PREFIX}${shard.id}-${this.attemptId}`);
  }

  get partName(): string {
    return `part-${this.shard.id}${this.format.extension}`;
  }

  /** Commits the shard; `won: false` when another attempt committed it first. */
  async commit(meta: { task: string; fingerprint: Record<string, unknown>; elapsedS: number; ep: string }): Promise<{ won: boolean; record: ShardRecord }> {
    // A shard whose rows were all rejected still commits an (empty) part.
    await this.open(this.shard.firstSeq);
    const { part, bytes, sha256 } = await this.commitPart();
    const rejected = part.rejects.length;
    if (part.rows + rejected !== this.shard.rows) {
      throw new OutputError('ALB_SHARD_ACCOUNTING', `shard ${this.shard.id}: ${part.rows} rows out + ${rejected} rejected != ${this.shard.rows} planned; the input changed since planning?`, { shard: this.shard.id });
    }
    const rejectsFile = rejected > 0 ? `rejects-${this.shard.id}.jsonl` : null;
    if (rejectsFile) await this.io(writeFileAtomic(join(this.tmpDir, rejectsFile), part.rejectsJsonl()));
    const record: ShardRecord = {
      format: 'albert-pipeline/shard@1',
      shard: this.shard,
      task: meta.task,
      fingerprint: meta.fingerprint,
      part: { file: this.partName, rows: part.rows, bytes, sha256 },
      rejects: { file: rejectsFile, count: rejected, by_code: part.rejectsByCode() },
      rows_in: this.shard.rows,
      rows_out: part.rows,
      rows_rejected: rejected,
      tokens: part.tokens,
      counts: part.counts,
      elapsed_s: meta.elapsedS,
      execution_provider: meta.ep,
      attempt: { host: hostname(), pid: process.pid, id: this.attemptId },
      committed_at: new Date().toISOString(),
    };
    await this.io(writeFileAtomic(join(this.tmpDir, SHARD_FILE), `${JSON.stringify(record, null, 2)}\n`));
    try {
      await rename(this.tmpDir, shardDir(this.out, this.shard.id));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw this.ioError(err);
      await rm(this.tmpDir, { recursive: true, force: true });
      return { won: false, record };
    }
    await this.io(fsyncDir(join(this.out, SHARDS_DIR)));
    return { won: true, record };
  }

  override async abandon(): Promise<void> {
    await super.abandon();
    await rm(this.tmpDir, { recursive: true, force: true });
  }

  protected async nextPartPath(): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true });
    return join(this.tmpDir, this.partName);
  }

  protected async appended(): Promise<void> {}
}
