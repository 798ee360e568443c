import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OutputError, optionError } from '../errors.js';
import { createFileOnce } from '../io/durable-file.js';
import { readOutputJson } from '../io/json-text.js';
import { toOutputError } from '../io/output-errors.js';
import type { ColumnarFile } from '../io/columnar-file.js';
import { openFileInput } from '../io/input-bytes.js';
import { INPUT_FORMATS } from '../io/input-formats.js';
import { placeReadOptions } from '../io/read-options.js';
import { openReadSource, type ResolvedReadOptions } from '../io/read-source.js';
import { fingerprintDifference } from '../pipeline/manifest.js';

/**
 * One shard: a range of one input, aligned to record starts, with the seqs it holds: a
 * byte range, or for a Parquet or Arrow input a range of its rows. A compressed input has
 * no record offsets, so it is one shard, from 0 to its size.
 */
export interface ShardSpec {
  /** Stable id, `<run>-shard-00042`. */
  id: string;
  index: number;
  input: string;
  startOffset: number;
  endOffset: number;
  firstSeq: number;
  rows: number;
}

export interface ShardPlan {
  format: 'albert-pipeline/plan@1';
  run: string;
  inputs: Array<{ path: string; bytes: number }>;
  shardRows: number | null;
  shardBytes: number | null;
  /** The job's output-shaping options; every shard of the run must share them. */
  fingerprint: Record<string, unknown>;
  rows: number;
  shards: ShardSpec[];
}

export const PLAN_FILE = 'plan.json';

export function shardId(run: string, index: number): string {
  return `${run}-shard-${String(index).padStart(5, '0')}`;
}

/**
 * Splits inputs into shards by scanning them once with the job's own reader (so CSV quoting,
 * line endings and bad records count exactly as a run will count them). A Parquet or Arrow
 * input is planned from its footer alone: rows cut at multiples of `shardRows`, or at the
 * row group (record batch) where `shardBytes` is reached. Deterministic: the same inputs
 * and sizes always give the same shards, ranges and ids.
 *
 * @example
 * ```ts
 * const plan = await planShards({ inputs: ['docs.csv'], run: 'docs', shardRows: 50_000, read: resolveReadOptions({}), fingerprint: {} });
 * plan.shards[0]; // { id: 'docs-shard-00000', input: '/…/docs.csv', startOffset: 12, endOffset: 9811200, firstSeq: 0, rows: 50000 }
 * ```
 */
export async function planShards(o: {
  inputs: readonly string[];
  run: string;
  shardRows?: number | null;
  shardBytes?: number | null;
  /** The job's record options, as resolved once: every shard reads as the plan did. */
  read: ResolvedReadOptions;
  fingerprint: Record<string, unknown>;
}): Promise<ShardPlan> {
  if (!/^[A-Za-z0-9][\w.-]{0,63}$/.test(o.run)) throw optionError('--run', o.run, 'an id of letters, digits, ".", "_" or "-" (at most 64)');
  const shardRows = o.shardRows ?? null;
  const shardBytes = o.shardBytes ?? null;
  if (shardRows === null && shardBytes === null) throw optionError('--shard-rows', undefined, 'a shard size: --shard-rows or --shard-bytes');
  const shards: ShardSpec[] = [];
  const inputs: ShardPlan['inputs'] = [];
  let seq = 0;
  for (const input of o.inputs) {
    if (input === '-') throw optionError('input', input, 'a file: sharding needs byte ranges of a file, not stdin');
    const path = resolve(input);
    const entry = INPUT_FORMATS[placeReadOptions(path, o.read).format];
    if (entry.positions === 'rows') {
      const bytes = await openFileInput(path);
      try {
        inputs.push({ path, bytes: bytes.size ?? 0 });
        seq = planRows(await entry.open(bytes), { run: o.run, path, shardRows, shardBytes, seq }, shards);
      } finally {
        await bytes.close();
      }
      continue;
    }
    const source = openReadSource(path, o.read);
    await source.open();
    const bytes = source.totalBytes ?? 0;
    inputs.push({ path, bytes });
    if (source.compression !== null) {
      // Its rows have no offsets to cut at: the whole file is one shard, read from its start.
      let rows = 0;
      for await (const batch of source.batches()) rows += batch.length;
      if (rows > 0) shards.push({ id: shardId(o.run, shards.length), index: shards.length, input: path, startOffset: 0, endOffset: bytes, firstSeq: seq, rows });
      seq += rows;
      continue;
    }
    let open: ShardSpec | null = null;
    for await (const batch of source.batches()) {
      for (const item of batch) {
        const offset = item.offset!;
        const full = open && ((shardRows !== null && open.rows >= shardRows) || (shardBytes !== null && offset - open.startOffset >= shardBytes));
        if (!open || full) {
          if (open) open.endOffset = offset;
          open = { id: shardId(o.run, shards.length), index: shards.length, input: path, startOffset: offset, endOffset: bytes, firstSeq: seq, rows: 0 };
          shards.push(open);
        }
        open.rows++;
        seq++;
      }
    }
  }
  return { format: 'albert-pipeline/plan@1', run: o.run, inputs, shardRows, shardBytes, fingerprint: o.fingerprint, rows: seq, shards };
}

/**
 * Shards of a row-positioned file, appended to `shards`: positions are rows, so a shard may
 * start inside a row group (its reader skips the rows before). Returns the seq after the file.
 */
function planRows(file: ColumnarFile, o: { run: string; path: string; shardRows: number | null; shardBytes: number | null; seq: number }, shards: ShardSpec[]): number {
  let seq = o.seq;
  let open: ShardSpec | null = null;
  let openBytes = 0;
  for (const unit of file.units) {
    const unitEnd = unit.firstRow + unit.rows;
    for (let row = unit.firstRow; row < unitEnd; ) {
      const full = open && ((o.shardRows !== null && open.rows >= o.shardRows) || (o.shardBytes !== null && openBytes >= o.shardBytes));
      if (!open || full) {
        if (open) open.endOffset = row;
        open = { id: shardId(o.run, shards.length), index: shards.length, input: o.path, startOffset: row, endOffset: file.rows, firstSeq: seq, rows: 0 };
        openBytes = 0;
        shards.push(open);
      }
      const take = Math.min(unitEnd - row, o.shardRows === null ? Number.POSITIVE_INFINITY : o.shardRows - open.rows);
      open.rows += take;
      seq += take;
      row += take;
      if (row === unitEnd) openBytes += unit.byteEnd - unit.byteStart;
    }
  }
  return seq;
}

/** Shards a static worker takes: every `count`-th from `index` (Kubernetes/Slurm array index). */
export function selectShards(plan: ShardPlan, index: number, count: number): ShardSpec[] {
  if (!Number.isInteger(count) || count < 1) throw optionError('--shard-count', count, 'a positive integer');
  if (!Number.isInteger(index) || index < 0 || index >= count) throw optionError('--shard-index', index, `an integer from 0 to ${count - 1}`);
  return plan.shards.filter((s) => s.index % count === index);
}

/**
 * The plan of `out`, created once: the first process to plan writes plan.json (a hard
 * link, so exactly one writer wins); everyone else, now or on rerun, uses that file, and
 * a plan made from other inputs, sizes or options is refused.
 */
export async function loadOrCreatePlan(out: string, make: () => Promise<ShardPlan>, want: { run: string; inputs: readonly string[]; shardRows: number | null; shardBytes: number | null; fingerprint: Record<string, unknown> }): Promise<ShardPlan> {
  const file = join(out, PLAN_FILE);
  let plan = await readPlan(out);
  if (!plan) {
    const made = await make();
    try {
      await mkdir(out, { recursive: true });
      await createFileOnce(file, `${JSON.stringify(made, null, 2)}\n`);
    } catch (err) {
      throw toOutputError(err, out);
    }
    plan = (await readPlan(out))!;
  }
  const same = (k: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      throw new OutputError('ALB_PLAN_MISMATCH', `${file} was planned with ${k}=${JSON.stringify(a)}, this run has ${k}=${JSON.stringify(b)}; use the same options, or another --out`, { file, key: k });
    }
  };
  same('run', plan.run, want.run);
  same('inputs', plan.inputs.map((i) => i.path), want.inputs.map((i) => resolve(i)));
  same('shard_rows', plan.shardRows, want.shardRows);
  same('shard_bytes', plan.shardBytes, want.shardBytes);
  const d = fingerprintDifference(plan.fingerprint, want.fingerprint);
  if (d) same(d.key, d.was, d.now);
  return plan;
}

export async function readPlan(out: string): Promise<ShardPlan | null> {
  const file = join(out, PLAN_FILE);
  const plan = (await readOutputJson(file, 'ALB_PLAN_INVALID', 'remove it (and the shards planned by it) to plan again')) as unknown as ShardPlan | null;
  if (plan === null) return null;
  if (plan.format !== 'albert-pipeline/plan@1') throw new OutputError('ALB_PLAN_INVALID', `${file} is not an albert-pipeline shard plan`, { file });
  return plan;
}

