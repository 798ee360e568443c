import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Schema } from 'apache-arrow';
import { OutputError } from '../errors.js';
import { writeFileAtomic } from '../io/durable-file.js';
import { InputRanges } from '../io/input-ranges.js';
import type { OutputFormatEntry } from '../io/output-formats.js';
import { findTask } from '../tasks/task-registry.js';
import { openJobContext } from './job-context.js';
import { jobFingerprint } from './job-fingerprint.js';
import type { DeviceOptions } from './job-options.js';
import { fingerprintDifference, readManifest, REJECTS_FILE, writeManifest, type InputRange, type Manifest, type PartEntry } from './manifest.js';
import { inputPositions, openSource } from './open-source.js';
import { acquireOutputLock } from './output-lock.js';
import { emptyStages } from './progress.js';
import { streamRows } from './stream-rows.js';
import { findDamage, type Damage } from './verify-output.js';
import { PartSink, type PendingPart } from './window-sink.js';

export interface RepairOptions extends DeviceOptions {
  out: string;
  /** The model folder, if it moved since the job ran (its sha256 must be the same). */
  model?: string;
  quiet?: boolean;
  log?: NodeJS.WritableStream;
  lockStaleMs?: number;
}

export interface RepairResult {
  out: string;
  /** What was wrong, as found before the repair. */
  damage: Damage[];
  /** The parts redone, by file. */
  redone: string[];
}

/**
 * `albert repair OUT`: finds the committed files of a job that are not what its manifest
 * recorded (hashing every part), and redoes exactly those parts from the input, with the
 * options the manifest records, under the output's lock. A part's rows, rejects and counts
 * must come out as recorded, so only an unchanged input and model can repair; the result
 * is verified again before the manifest is rewritten.
 *
 * @example
 * ```ts
 * const { redone } = await repairJob({ out: 'out/docs' }); // ['part-00003.arrow']
 * ```
 */
export async function repairJob(o: RepairOptions): Promise<RepairResult> {
  const out = resolve(o.out);
  const log = o.log ?? process.stderr;
  const m = await readManifest(out);
  if (!m) throw new OutputError('ALB_RESUME_NO_JOB', `albert repair: ${out} has no manifest.json: there is no job to repair`, { out });
  const lock = await acquireOutputLock(out, { staleMs: o.lockStaleMs, log: (line) => log.write(line) });
  try {
    const manifest = (await readManifest(out)) as Manifest;
    const damage = await findDamage(out, manifest, 'full');
    if (damage.length === 0) return { out, damage, redone: [] };
    const rerun = manifest.rerun;
    if (!rerun) throw new OutputError('ALB_OUTPUT_CORRUPT', `albert repair: ${out} is a merged sharded dataset: remove the damaged shards' folders under shards/, run those shards again, then \`albert merge-manifest\``, { out });
    if (rerun.input === null) throw new OutputError('ALB_OUTPUT_CORRUPT', `albert repair: the job in ${out} read a stream (stdin), which cannot be read again to redo its parts; --overwrite and run it again`, { out });
    const parts = [...new Set(damage.map((d) => d.part))].sort((a, b) => a - b);
    const options = { ...rerun.options, input: rerun.input, out, ...pick(o, ['model', 'device', 'workers', 'threads']), quiet: o.quiet ?? false, log };
    const ctx = await openJobContext(findTask(manifest.task), options);
    try {
      const d = fingerprintDifference(manifest.fingerprint, jobFingerprint(ctx));
      if (d) throw new OutputError('ALB_RESUME_MISMATCH', `albert repair: the job in ${out} was made with ${d.key}=${JSON.stringify(d.was)}, this run has ${d.key}=${JSON.stringify(d.now)}; its parts cannot be redone as they were (--overwrite to start over)`, { key: d.key });
      const ranges = InputRanges.of(ctx.job.input, ctx.job.inputFiles);
      const rowPositioned = inputPositions(ctx.job) === 'rows';
      const texts = new Map<number, string>();
      for (const i of parts) {
        const p = manifest.parts[i];
        for (const q of rangesOf(manifest.parts, i, rowPositioned)) {
          if (!ranges) break;
          const change = await ranges.check(q.start, q.end, q.sha256);
          if (change) throw new OutputError('ALB_RESUME_INPUT_CHANGED', `albert repair: input ${JSON.stringify(change.file)} changed since ${p.file} was made (bytes ${change.start}-${change.end}): the part cannot be redone as it was; restore the input, or --overwrite`, { input: change.file, part: p.file });
        }
        const sink = new RedoSink(out, ctx.job.output, ctx.plan.schema, p);
        const source = await openSource(ctx.job, { seq: p.seqStart, offset: p.offsetStart });
        await streamRows(ctx, { source, skipBelow: p.seqStart, stopBefore: p.seqEnd, committer: sink, startedAt: Date.now(), stages: emptyStages() });
        const redone = await sink.finish();
        Object.assign(p, { bytes: redone.bytes, sha256: redone.sha256 });
        texts.set(i, redone.rejectsText);
        if (!o.quiet) log.write(`albert repair: redid ${p.file} (rows ${p.seqStart}-${p.seqEnd - 1})\n`);
      }
      if (damage.some((x) => x.file === REJECTS_FILE)) await rewriteRejects(out, manifest, texts);
      await writeManifest(out, manifest);
      const left = await findDamage(out, manifest, 'full');
      if (left.length > 0) throw new OutputError('ALB_INTERNAL', `albert repair: ${out} still has damage after the repair: ${left.map((x) => `${x.file} ${x.problem}`).join('; ')}`, { out });
      return { out, damage, redone: parts.map((i) => manifest.parts[i].file) };
    } finally {
      await ctx.close();
    }
  } finally {
    await lock.release();
  }
}

/**
 * The input ranges a redone part must find unchanged: its own, and for a Parquet or Arrow
 * input also the last non-empty one before it, which holds the row group its first rows
 * came from (a range ends at a row group's end, so that row group lies in one range).
 */
function rangesOf(parts: readonly PartEntry[], i: number, rowPositioned: boolean): InputRange[] {
  const own = parts[i].input;
  const out = own ? [own] : [];
  if (!rowPositioned) return out;
  for (let j = i - 1; j >= 0; j--) {
    const r = parts[j].input;
    if (r && r.end > r.start) return [r, ...out];
  }
  return out;
}

function pick(o: RepairOptions, keys: ReadonlyArray<keyof RepairOptions>): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, k === 'model' ? resolve(String(o[k])) : o[k]]));
}

/**
 * Writes one part again over the damaged file (through the same tmp → fsync → rename) and
 * checks that it holds what the manifest recorded: rows, rejects and their exact lines.
 */
class RedoSink extends PartSink {
  constructor(
    private readonly out: string,
    format: OutputFormatEntry,
    schema: Schema,
    private readonly part: PartEntry,
  ) {
    super(out, format, schema, 'free space and run albert repair again');
  }

  protected async nextPartPath(): Promise<string> {
    return join(this.out, this.part.file);
  }

  protected async appended(_pending: PendingPart): Promise<void> {}

  async finish(): Promise<{ bytes: number; sha256: string; rejectsText: string }> {
    const p = this.part;
    const pending = this.pending ?? (await this.open(p.seqStart));
    const text = pending.rejectsJsonl();
    const mismatch =
      pending.end.seq !== p.seqEnd ? `rows up to ${pending.end.seq}, not ${p.seqEnd}` :
      pending.rows !== p.rows || pending.rejects.length !== p.rejected ? `${pending.rows} rows and ${pending.rejects.length} rejects, not ${p.rows} and ${p.rejected}` :
      createHash('sha256').update(text).digest('hex') !== p.rejects.sha256 ? 'other reject lines' : null;
    if (mismatch) {
      await this.abandon();
      throw new OutputError('ALB_OUTPUT_CORRUPT', `albert repair: redoing ${p.file} gave ${mismatch} than the job committed; the input or the model is not what the job used (--overwrite to start over)`, { part: p.file });
    }
    const { bytes, sha256 } = await this.commitPart();
    return { bytes, sha256, rejectsText: text };
  }
}

/** rejects.jsonl rebuilt part by part: intact lines from the file, redone parts' lines anew. */
async function rewriteRejects(out: string, m: Manifest, redone: ReadonlyMap<number, string>): Promise<void> {
  const path = join(out, REJECTS_FILE);
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
  const chunks: Buffer[] = [];
  try {
    for (const [i, p] of m.parts.entries()) {
      const text = redone.get(i);
      if (text !== undefined) {
        chunks.push(Buffer.from(text));
      } else if (p.rejects.bytes > 0) {
        const buf = Buffer.alloc(p.rejects.bytes);
        await fh!.read(buf, 0, buf.length, p.rejects.offset);
        chunks.push(buf);
      }
    }
  } finally {
    await fh?.close();
  }
  const whole = Buffer.concat(chunks);
  await writeFileAtomic(path, whole);
  m.rejects.bytes = whole.length;
  m.rejects.sha256 = createHash('sha256').update(whole).digest('hex');
}
