import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OutputError } from '../errors.js';
import { sha256File } from '../io/durable-file.js';
import { parseJsonText } from '../io/json-text.js';
import { packageInfo } from '../io/package-root.js';
import { EMPTY_SHA256 } from '../pipeline/job-summary.js';
import { MANIFEST_FORMAT, REJECTS_FILE, writeManifest, type Manifest, type PartEntry } from '../pipeline/manifest.js';
import { acquireOutputLock } from '../pipeline/output-lock.js';
import { emptyStages } from '../pipeline/progress.js';
import { findDamage } from '../pipeline/verify-output.js';
import { SHARD_FILE, SHARDS_DIR, TMP_PREFIX, shardDir, type ShardRecord } from './shard-committer.js';
import { readPlan } from './shard-plan.js';

export interface MergeResult {
  manifest: Manifest;
  shards: number;
  missing: string[];
  /** Temp dirs (`shards/.tmp-*`) of attempts that were killed or lost the race, now removed. */
  removedTemp: string[];
}

/**
 * `albert merge-manifest OUT`: checks that every shard of the plan is committed (and, with
 * `verify`, that each part's bytes still hash to what its shard recorded), then writes the
 * dataset manifest: parts in seq order, rows_in = rows_out + rows_rejected over all shards.
 * Refuses, listing them, while shards are missing. Once every shard is committed, the temp
 * dirs of attempts that were killed (kill -9, a lost host) or lost the commit race are
 * garbage: they are removed here, where no attempt can still win.
 */
export async function mergeManifest(outDir: string, opts: { verify?: boolean } = {}): Promise<MergeResult> {
  const out = resolve(outDir);
  const plan = await readPlan(out);
  if (!plan) throw new OutputError('ALB_MERGE_NO_PLAN', `${out} has no plan.json: it is not the output of a sharded run`, { out });
  const records: ShardRecord[] = [];
  const missing: string[] = [];
  for (const shard of plan.shards) {
    const file = join(shardDir(out, shard.id), SHARD_FILE);
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text === null) missing.push(shard.id);
    else records.push(parseJsonText(text, file, 'ALB_SHARD_INVALID', (code, message, details) => new OutputError(code, message, details)) as ShardRecord);
  }
  if (missing.length > 0) {
    throw new OutputError('ALB_MERGE_INCOMPLETE', `${missing.length} of ${plan.shards.length} shards are not committed yet: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''}`, { out, missing });
  }
  const parts: PartEntry[] = [];
  const byCode: Record<string, number> = {};
  const counts: Record<string, number> = {};
  let rowsOut = 0;
  let rejected = 0;
  let tokens = 0;
  let elapsed = 0;
  const eps = new Set<string>();
  for (const r of records) {
    if (r.rows_out + r.rows_rejected !== r.shard.rows) {
      throw new OutputError('ALB_SHARD_ACCOUNTING', `shard ${r.shard.id}: ${r.rows_out} + ${r.rows_rejected} != ${r.shard.rows}`, { shard: r.shard.id });
    }
    const rel = `${SHARDS_DIR}/${r.shard.id}/${r.part.file}`;
    parts.push({
      file: rel,
      seqStart: r.shard.firstSeq,
      seqEnd: r.shard.firstSeq + r.shard.rows,
      offsetStart: null,
      offsetEnd: null,
      rows: r.rows_out,
      rejected: r.rows_rejected,
      bytes: r.part.bytes,
      sha256: r.part.sha256,
      input: null,
      rejects: await rejectsSlice(out, r),
    });
    for (const [k, v] of Object.entries(r.rejects.by_code)) byCode[k] = (byCode[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.counts)) counts[k] = (counts[k] ?? 0) + v;
    rowsOut += r.rows_out;
    rejected += r.rows_rejected;
    tokens += r.tokens;
    elapsed += r.elapsed_s;
    eps.add(r.execution_provider);
  }
  const now = new Date().toISOString();
  const first = records[0];
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    tool: { name: 'albert-pipeline', version: packageInfo().version },
    task: first?.task ?? String(plan.fingerprint.task ?? ''),
    status: 'complete',
    fingerprint: { ...plan.fingerprint, run: plan.run, inputs: plan.inputs.map((i) => i.path), shard_rows: plan.shardRows, shard_bytes: plan.shardBytes },
    model: { name: '', sha256: String(plan.fingerprint.model_sha256 ?? ''), execution_provider: [...eps].join(','), fallback_reason: null },
    input: { path: plan.inputs.length === 1 ? plan.inputs[0].path : null, bytes: plan.inputs.reduce((n, i) => n + i.bytes, 0) },
    parts,
    next: { seq: plan.rows, offset: null },
    rejects: { file: REJECTS_FILE, bytes: 0, sha256: EMPTY_SHA256, by_code: byCode, files: records.filter((r) => r.rejects.file).map((r) => `${SHARDS_DIR}/${r.shard.id}/${r.rejects.file}`) },
    rows_in: plan.rows,
    rows_out: rowsOut,
    rows_rejected: rejected,
    tokens,
    counts,
    // Shards run in parallel on many hosts: the sum is compute time, not wall time.
    elapsed_s: elapsed,
    docs_per_s: elapsed > 0 ? rowsOut / elapsed : 0,
    tokens_per_s: elapsed > 0 ? tokens / elapsed : 0,
    stages_ms: emptyStages(),
    started_at: records.map((r) => r.committed_at).sort()[0] ?? now,
    updated_at: now,
    rerun: null,
  };
  if (manifest.rows_in !== manifest.rows_out + manifest.rows_rejected) {
    throw new OutputError('ALB_SHARD_ACCOUNTING', `rows_in ${manifest.rows_in} != rows_out ${rowsOut} + rows_rejected ${rejected}`, { out });
  }
  // The same checks as `albert verify`, before the dataset manifest vouches for the shards' files.
  const damage = await findDamage(out, manifest, opts.verify ? 'full' : 'size');
  if (damage.length > 0) {
    const d = damage[0];
    throw new OutputError('ALB_MERGE_PART_CHANGED', `${d.file} ${d.problem} (what its shard recorded)${damage.length > 1 ? `; and ${damage.length - 1} more` : ''}; remove that shard's folder and run it again`, { file: d.file, damage });
  }
  // The dataset-level files are one writer's: a job, a repair or another merge on this folder waits its turn.
  const lock = await acquireOutputLock(out, { log: (line) => process.stderr.write(line) });
  try {
    await writeManifest(out, manifest);
    return { manifest, shards: records.length, missing, removedTemp: await removeAbandonedAttempts(out) };
  } finally {
    await lock.release();
  }
}

/** A shard's rejects file as one part's slice: whole, hashed now (its shard commit made it final). */
async function rejectsSlice(out: string, r: ShardRecord): Promise<PartEntry['rejects']> {
  if (!r.rejects.file) return { file: REJECTS_FILE, offset: 0, bytes: 0, sha256: EMPTY_SHA256 };
  const rel = `${SHARDS_DIR}/${r.shard.id}/${r.rejects.file}`;
  const st = await stat(join(out, rel)).catch(() => null);
  if (!st) throw new OutputError('ALB_MERGE_PART_CHANGED', `${rel}: missing; its shard recorded ${r.rejects.count} rejects`, { file: rel });
  return { file: rel, offset: 0, bytes: st.size, sha256: await sha256File(join(out, rel)) };
}

async function removeAbandonedAttempts(out: string): Promise<string[]> {
  const dir = join(out, SHARDS_DIR);
  const temps = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && e.name.startsWith(TMP_PREFIX)).map((e) => e.name);
  for (const name of temps) await rm(join(dir, name), { recursive: true, force: true });
  return temps;
}
