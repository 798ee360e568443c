/**
 * The prepared device run (bench/gpu/run.sh starts it): fp32, fp16 and fp16+fused ALBERT
 * base through the real CLI, as a user would: doctor, convert, optimize (checked on the
 * device), embed CSV → Arrow on ROWS rows at the corpus's lengths (and on ROWS_LONG rows for
 * the steady-state rate, see steady-rate.ts), and `albert bench` with the bare-session
 * ceiling. Any job that ran on another execution provider than asked fails the run: no
 * silent CPU fallback.
 *
 * The device hands back only a few small files from $OUT, and a call that runs past its
 * limit hands back only what is there by then. So the models, inputs and Arrow parts go to
 * WORK (a temp folder), every step has a time limit within the run's budget, and $OUT holds
 * gpu-run.json and table.md, rewritten after every step, run.log (all steps' output, capped)
 * and bench.svg.
 *
 *   node dist/bench/gpu/gpu-run.js   (settings from the environment, see run.sh)
 */
import { copyFileSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeCorpusSubset } from '../../src/io/corpus-subset.js';
import { sampleGpuMemory } from '../../src/bench/gpu-memory.js';
import { REPO_ROOT } from '../bench-args.js';
import { DeviceRun } from './device-run.js';
import { GpuRunError } from './gpu-run-error.js';
import { OUT_COPY_MAX_BYTES, outLimitProblems } from './out-limits.js';
import type { BenchConfig, EmbedFigures, EmbedResult, GpuRunRecord } from './run-record.js';
import { benchReserveS, readSettings, stepCapS } from './settings.js';
import { steadyRate } from './steady-rate.js';

const VARIANTS = [
  { name: 'fp32', variant: 'none', make: null },
  { name: 'fp16', variant: 'fp16', make: ['--fp16'] },
  { name: 'fp16-fused', variant: 'fp16-fused', make: ['--fp16', '--fuse'] },
] as const;
type Variant = (typeof VARIANTS)[number];

function parseJson<T>(run: DeviceRun, step: string, text: string): T | null {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    run.fail(run.recorded(step), 'GPU_RUN_OUTPUT', `its output is not JSON (${(err as Error).message})`);
    return null;
  }
}

/** A file a step wrote, or null (and the step marked failed) where it is not JSON. */
function readJson<T>(run: DeviceRun, step: string, file: string): T | null {
  return parseJson<T>(run, step, readFileSync(file, 'utf8'));
}

/** The stop of a step the rest depend on. */
function gate(run: DeviceRun, name: string, ok: boolean): void {
  if (!ok) throw new GpuRunError('GPU_RUN_STEP', `${name} did not finish (see run.log); the later steps need it`, { step: name });
  run.say(`${name}: ok`);
}

async function doctorAndModel(run: DeviceRun): Promise<string> {
  const { s } = run;
  const d = await run.albert('doctor', 'doctor', ['doctor', '--json']);
  gate(run, 'doctor', d?.status === 'ok');
  const doctor = parseJson<{ providers: Record<string, { sessionOk: boolean; error?: string }> }>(run, 'doctor', d!.stdout);
  run.record.doctor = doctor;
  const ep = s.device.split(':')[0];
  if (!doctor) throw new GpuRunError('GPU_RUN_OUTPUT', 'albert doctor --json printed no JSON');
  if (s.device !== 'cpu' && !doctor.providers[ep]?.sessionOk) {
    throw new GpuRunError('GPU_RUN_PROVIDER', `albert doctor: the ${s.device} provider does not start here (${doctor.providers[ep]?.error ?? 'not in the table'}); see run.log`);
  }
  let ckpt = s.checkpoint;
  if (!ckpt) {
    ckpt = join(s.work, 'albert-base-ckpt');
    const script = [join(REPO_ROOT, '.gpu', 'a', 'make-albert-base.py'), join(REPO_ROOT, '..', 'shared', 'gpu', 'make-albert-base.py')].find((p) => existsSync(p));
    if (!script) throw new GpuRunError('GPU_RUN_SETTINGS', 'no CHECKPOINT and no make-albert-base.py (.gpu/a or ../shared/gpu)');
    gate(run, 'make-albert-base', (await run.step('make-albert-base', 'make-albert-base', 'python3', [script, ckpt]))?.status === 'ok');
  }
  const fp32 = join(s.work, 'albert-base');
  const c = await run.albert('convert', 'convert', ['convert', ckpt, fp32, '--task', 'base', '--tokenizer', s.tokenizer, '--overwrite']);
  gate(run, 'convert', c?.status === 'ok');
  return fp32;
}

/** The variants that were made and checked (fp32 always). */
async function optimize(run: DeviceRun, fp32: string): Promise<Variant[]> {
  const { s } = run;
  const made: Variant[] = [];
  for (const v of VARIANTS) {
    if (!v.make) {
      made.push(v);
      continue;
    }
    const name = `optimize-${v.name}`;
    const r = await run.albert(name, 'optimize', ['optimize', fp32, ...v.make, '--overwrite', '--check-device', s.device, '--check-rows', String(s.checkRows), '--check-data', s.corpus, '--json']);
    if (r?.status !== 'ok') continue;
    const result = parseJson<{ report: GpuRunRecord['accuracy'][string] }>(run, name, r.stdout);
    if (!result) continue;
    run.record.accuracy[v.name] = result.report;
    run.save();
    made.push(v);
  }
  return made;
}

/** One embed run; its figures (also of a run stopped midway, from what its manifest says), or null without a manifest. */
async function embedOnce(run: DeviceRun, fp32: string, v: Variant, input: string, name: string, kind: 'embed' | 'embed-long', skipBecause: string | null): Promise<EmbedFigures | null> {
  const { s } = run;
  const out = join(s.work, name);
  const gpu = kind === 'embed' && s.device !== 'cpu' && !skipBecause ? sampleGpuMemory() : null;
  const r = await run.albert(name, kind, ['embed', input, '--out', out, '--model', fp32, '--variant', v.variant, '--device', s.device, '--overwrite',
    '--batch-tokens', s.batchTokens.split(',')[0], '--workers', s.workers.split(',')[0]], skipBecause);
  const gpuPeak = (await gpu?.stop()) ?? null;
  if (!r) return null;
  const file = join(out, 'manifest.json');
  if (!existsSync(file)) {
    if (r.status === 'ok') run.fail(run.recorded(name), 'GPU_RUN_OUTPUT', `no manifest in ${out}`);
    return null;
  }
  const m = readJson<Record<string, any>>(run, name, file);
  if (!m) return null;
  // The Arrow parts (hundreds of MB) are random-weight embeddings nobody reads: only the figures are kept.
  rmSync(out, { recursive: true, force: true });
  const f: EmbedFigures = {
    status: m.status, rows_in: m.rows_in, rows_out: m.rows_out, rows_rejected: m.rows_rejected, tokens: m.tokens, parts: m.parts?.length ?? 0,
    elapsed_s: m.elapsed_s, docs_per_s: m.docs_per_s, tokens_per_s: m.tokens_per_s, wall_s: r.seconds, stages_ms: m.stages_ms,
    execution_provider: String(m.model?.execution_provider), fallback_reason: m.model?.fallback_reason ?? null, variant: m.model?.variant?.name ?? 'fp32',
    gpu_memory_peak_mib: gpuPeak, summary: r.stderrTail.trim().split('\n').pop() ?? '',
  };
  if (r.status !== 'ok') return f;
  if (f.execution_provider !== s.device.split(':')[0] || f.fallback_reason) {
    run.fail(run.recorded(name), 'GPU_RUN_FALLBACK', `ran on ${f.execution_provider} (${f.fallback_reason ?? 'no reason given'}), not ${s.device}: no silent fallback`);
  } else if (f.variant !== (v.variant === 'none' ? 'fp32' : v.variant)) {
    run.fail(run.recorded(name), 'GPU_RUN_FALLBACK', `ran variant ${f.variant}, not ${v.name}`);
  }
  return f;
}

const ok = (f: EmbedFigures | null, run: DeviceRun, name: string): f is EmbedFigures => f !== null && f.status === 'complete' && run.recorded(name).status === 'ok';

async function embed(run: DeviceRun, fp32: string, v: Variant, rows: string, rowsLong: string | null): Promise<void> {
  const { s } = run;
  const result: EmbedResult = { run: null, long: null, steady: null, startup_s: null };
  run.record.embed[v.name] = result;
  const name = `embed-${v.name}`;
  result.run = await embedOnce(run, fp32, v, rows, name, 'embed', null);
  run.save();
  if (!rowsLong) return;
  const longName = `${name}-long`;
  // Start the long run only if it can finish and leave the bench its time; it is paced by the headline run, start-up included, so the guess errs long.
  const guessS = result.run ? (result.run.wall_s * s.rowsLong) / s.rows : 0;
  const spare = run.remainingS - benchReserveS(s);
  const skip = !ok(result.run, run, name) ? `${name} did not complete`
    : guessS > stepCapS(s, 'embed-long') ? `about ${guessS.toFixed(0)} s needed, over its limit of ${stepCapS(s, 'embed-long')} s`
    : guessS > spare ? `about ${guessS.toFixed(0)} s needed, ${Math.max(0, spare).toFixed(0)} s left beside ${benchReserveS(s)} s kept for the bench`
    : null;
  result.long = await embedOnce(run, fp32, v, rowsLong, longName, 'embed-long', skip);
  if (ok(result.run, run, name) && ok(result.long, run, longName)) {
    result.steady = steadyRate(result.run, result.long);
    if (result.steady) result.startup_s = result.run.wall_s - result.run.elapsed_s + result.steady.fixed_s;
    else run.say(`${v.name}: no steady rate: the ${s.rowsLong}-row run took no longer than the ${s.rows}-row one (raise ROWS_LONG)`);
  }
  run.save();
}

async function bench(run: DeviceRun, fp32: string, made: readonly Variant[], rows: string): Promise<void> {
  const { s } = run;
  const prefix = join(s.work, 'bench');
  await run.albert('bench', 'bench', ['bench', fp32, '--variants', made.map((v) => v.name).join(','), '--device', s.device, '--data', rows, '--rows', String(s.benchRows),
    '--batch-tokens', s.batchTokens, '--workers', s.workers, '--out', prefix]);
  if (existsSync(`${prefix}.json`)) {
    const b = readJson<{ configs: BenchConfig[]; recommendation: unknown; failed: unknown }>(run, 'bench', `${prefix}.json`);
    if (b) run.record.bench = { configs: b.configs, recommendation: b.recommendation, failed: b.failed ?? null };
    run.save();
  }
  if (existsSync(`${prefix}.svg`) && statSync(`${prefix}.svg`).size <= OUT_COPY_MAX_BYTES) copyFileSync(`${prefix}.svg`, join(s.out, 'bench.svg'));
}

async function main(run: DeviceRun): Promise<void> {
  const { s } = run;
  const fp32 = await doctorAndModel(run);
  const made = await optimize(run, fp32);

  const t = performance.now();
  const rows = join(s.work, 'rows.csv');
  const subset = await writeCorpusSubset(s.corpus, rows, s.rows);
  const rowsLong = s.rowsLong ? join(s.work, 'rows-long.csv') : null;
  if (rowsLong) await writeCorpusSubset(s.corpus, rowsLong, s.rowsLong);
  run.record.input = { rows: subset.rows, rows_long: s.rowsLong || null, corpus_passes: subset.passes };
  run.record.steps.push({ name: 'input', status: 'ok', seconds: Math.round(performance.now() - t) / 1000, timeout_s: 0, exit_code: null, signal: null, error: null });
  run.say(`input: ${subset.rows} rows of ${s.corpus} (read ${subset.passes}×, fresh ids)${rowsLong ? ` and ${s.rowsLong} for the steady rate` : ''}`);
  run.save();

  for (const v of VARIANTS) {
    if (made.includes(v)) await embed(run, fp32, v, rows, rowsLong);
    else run.skip(`embed-${v.name}`, `optimize-${v.name} did not finish`);
  }
  await bench(run, fp32, made, rows);
}

const settings = (() => {
  try {
    return readSettings();
  } catch (err) {
    process.stderr.write(`gpu-run: ${(err as Error).message}\n`);
    process.exit(2);
  }
})();
const run = new DeviceRun(settings, VARIANTS.map((v) => v.name));
let firstSignalAt: number | null = null;
const onSignal = (sig: NodeJS.Signals): void => {
  // The first stops the step running (its tree gets SIGTERM, then SIGKILL) and lets the record
  // be written; one more, later, quits at once. `timeout` (run.sh) signals this process and
  // then its whole process group, and a terminal's Ctrl-C reaches the group too: the same stop
  // arrives more than once within moments, which must not cut the record short.
  if (firstSignalAt !== null) {
    if (performance.now() - firstSignalAt > 3000) {
      if (settings.workIsTemp) rmSync(settings.work, { recursive: true, force: true });
      process.exit(143);
    }
    return;
  }
  firstSignalAt = performance.now();
  run.record.error ??= { code: 'GPU_RUN_SIGNAL', message: `${sig}: the run was stopped` };
  run.say(`${sig}: stopping the step running, then writing the record`);
  run.stopping.abort();
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);

main(run)
  .catch((err: unknown) => {
    const code = err instanceof GpuRunError ? err.code : 'GPU_RUN_STEP';
    run.record.error ??= { code, message: (err as Error).message };
    run.say(`stopped: ${code}: ${(err as Error).message}`);
  })
  .finally(() => {
    const failed = run.record.error !== null || run.record.steps.some((st) => st.status !== 'ok');
    run.record.status = failed ? 'failed' : 'complete';
    run.save();
    const problems = outLimitProblems(settings.out);
    for (const p of problems) run.say(`warning: $OUT would not all come back from the device: ${p}`);
    if (settings.workIsTemp) rmSync(settings.work, { recursive: true, force: true });
    const files = ['gpu-run.json (everything)', 'table.md', "run.log (every step's output)", 'bench.svg'].filter((f) => existsSync(join(settings.out, f.split(' ')[0])));
    process.stdout.write(`\n${run.record.table}\n\nin ${settings.out}: ${files.join(', ')}\n`);
    if (failed) process.stderr.write(`gpu-run: FAILED: ${run.record.error?.code ?? 'GPU_RUN_STEP'}: ${run.record.error?.message ?? 'a step did not finish'}\n`);
    process.exitCode = failed ? 1 : 0;
  });
