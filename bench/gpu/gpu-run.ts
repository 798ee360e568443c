/**
 * The prepared device run (bench/gpu/run.sh starts it): fp32, fp16 and fp16+fused ALBERT
 * base through the real CLI, as a user would: doctor, convert, optimize (checked on the
 * device), embed CSV → Arrow on N rows at the corpus's lengths, and `albert bench` with the
 * bare-session ceiling. One table on stdout; everything else under $OUT. Any job that ran on
 * another execution provider than asked fails the run: no silent CPU fallback.
 *
 *   node dist/bench/gpu/gpu-run.js   (settings from the environment, see run.sh)
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeCorpusSubset } from '../../src/io/corpus-subset.js';
import { sampleGpuMemory } from '../../src/bench/gpu-memory.js';
import { fmt } from '../../src/bench/svg-chart.js';
import { REPO_ROOT } from '../bench-args.js';

const env = (k: string, d: string): string => process.env[k] ?? d;
const DEVICE = env('DEVICE', 'cuda');
const ROWS = Number(env('ROWS', '65536'));
const BENCH_ROWS = Number(env('BENCH_ROWS', String(Math.min(ROWS, 32768))));
const OUT = resolve(env('OUT', join(REPO_ROOT, 'out', 'gpu-run')));
const WORK = resolve(env('WORK', join(OUT, 'work')));
const CHECKPOINT = env('CHECKPOINT', '');
const CORPUS = resolve(env('CORPUS', join(REPO_ROOT, 'data', 'sample.csv')));
const TOKENIZER = resolve(env('TOKENIZER', join(REPO_ROOT, 'models', 'albert-mini')));
const CHECK_ROWS = env('CHECK_ROWS', '2000');
const BATCH_TOKENS = env('BATCH_TOKENS', DEVICE === 'cpu' ? '2048' : '65536');
const WORKERS = env('WORKERS', DEVICE === 'cpu' ? '2' : '2');
const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const VARIANTS = [
  { name: 'fp32', variant: 'none', make: null },
  { name: 'fp16', variant: 'fp16', make: ['--fp16'] },
  { name: 'fp16-fused', variant: 'fp16-fused', make: ['--fp16', '--fuse'] },
] as const;

const t0 = performance.now();
const log = (s: string): void => {
  process.stderr.write(`gpu-run [${((performance.now() - t0) / 1000).toFixed(0)}s]: ${s}\n`);
};

/** Runs `albert …` (or another command), stderr to the log and to $OUT/logs; fails loudly on a non-zero exit. */
async function sh(name: string, cmd: string, args: string[]): Promise<{ stdout: string; stderr: string; seconds: number }> {
  log(`${name}: ${cmd === process.execPath ? 'albert' : cmd} ${args.filter((a) => a !== CLI).join(' ')}`);
  const s0 = performance.now();
  const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    process.stderr.write(d);
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  mkdirSync(join(OUT, 'logs'), { recursive: true });
  writeFileSync(join(OUT, 'logs', `${name}.log`), `$ ${cmd} ${args.join(' ')}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  if (code !== 0) throw new Error(`${name} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return { stdout, stderr, seconds: (performance.now() - s0) / 1000 };
}
const albert = (name: string, ...args: string[]) => sh(name, process.execPath, [CLI, ...args]);

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const record: Record<string, unknown> = { device: DEVICE, rows: ROWS, bench_rows: BENCH_ROWS, started: new Date().toISOString() };

  const doctor = JSON.parse((await albert('doctor', 'doctor', '--json')).stdout) as { providers: Record<string, { sessionOk: boolean; error?: string }>; gpus: string[] };
  record.doctor = doctor;
  if (DEVICE !== 'cpu' && !doctor.providers[DEVICE.split(':')[0]]?.sessionOk) {
    throw new Error(`albert doctor: the ${DEVICE} provider does not start here (${doctor.providers[DEVICE.split(':')[0]]?.error ?? 'not in the table'}); see $OUT/logs/doctor.log`);
  }

  let ckpt = CHECKPOINT;
  if (!ckpt) {
    ckpt = join(WORK, 'albert-base-ckpt');
    const script = [join(REPO_ROOT, '.gpu', 'a', 'make-albert-base.py'), join(REPO_ROOT, '..', 'shared', 'gpu', 'make-albert-base.py')].find((p) => existsSync(p));
    if (!script) throw new Error('no CHECKPOINT and no make-albert-base.py (.gpu/a or ../shared/gpu)');
    await sh('make-albert-base', 'python3', [script, ckpt]);
  }
  const fp32 = join(WORK, 'albert-base');
  const convert = await albert('convert', 'convert', ckpt, fp32, '--task', 'base', '--tokenizer', TOKENIZER, '--overwrite');
  const steps: Record<string, number> = { convert_s: convert.seconds };
  for (const v of VARIANTS) {
    if (!v.make) continue;
    const r = await albert(`optimize-${v.name}`, 'optimize', fp32, ...v.make, '--overwrite', '--check-device', DEVICE, '--check-rows', CHECK_ROWS, '--check-data', CORPUS, '--json');
    steps[`optimize_${v.name}_s`] = r.seconds;
    const result = JSON.parse(r.stdout) as { report: unknown };
    record[`accuracy_${v.name}`] = result.report;
  }

  const rows = join(WORK, 'rows.csv');
  const subset = await writeCorpusSubset(CORPUS, rows, ROWS);
  log(`input: ${subset.rows} rows of ${CORPUS} (read ${subset.passes}×, fresh ids)`);

  const embeds: Record<string, Record<string, unknown>> = {};
  for (const v of VARIANTS) {
    const out = join(WORK, `embed-${v.name}`);
    const gpu = DEVICE === 'cpu' ? null : sampleGpuMemory();
    const r = await albert(`embed-${v.name}`, 'embed', rows, '--out', out, '--model', fp32, '--variant', v.variant, '--device', DEVICE, '--overwrite', '--batch-tokens', BATCH_TOKENS.split(',')[0], '--workers', WORKERS.split(',')[0]);
    const gpuPeak = (await gpu?.stop()) ?? null;
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Record<string, any>;
    const ep = String(m.model.execution_provider);
    if (ep !== DEVICE.split(':')[0] || m.model.fallback_reason) throw new Error(`embed ${v.name} ran on ${ep} (${m.model.fallback_reason ?? 'no reason'}), not ${DEVICE}: no silent fallback`);
    if ((m.model.variant?.name ?? 'fp32') !== (v.variant === 'none' ? 'fp32' : v.variant)) throw new Error(`embed ${v.name} ran variant ${JSON.stringify(m.model.variant)}`);
    copyFileSync(join(out, 'manifest.json'), join(OUT, `manifest-${v.name}.json`));
    embeds[v.name] = { wall_s: r.seconds, rows_out: m.rows_out, docs_per_s: m.docs_per_s, tokens_per_s: m.tokens_per_s, stages_ms: m.stages_ms, execution_provider: ep, gpu_memory_peak_mib: gpuPeak, summary: r.stderr.trim().split('\n').pop() };
  }
  record.embed = embeds;

  await albert('bench', 'bench', fp32, '--variants', VARIANTS.map((v) => v.name).join(','), '--device', DEVICE, '--data', rows, '--rows', String(BENCH_ROWS),
    '--batch-tokens', BATCH_TOKENS, '--workers', WORKERS, '--out', join(OUT, 'bench'));
  const bench = JSON.parse(readFileSync(join(OUT, 'bench.json'), 'utf8')) as { configs: Array<Record<string, any>>; recommendation: unknown };
  record.bench = { configs: bench.configs, recommendation: bench.recommendation };
  record.steps = steps;
  record.finished = new Date().toISOString();
  record.total_s = (performance.now() - t0) / 1000;
  writeFileSync(join(OUT, 'gpu-run.json'), `${JSON.stringify(record, null, 2)}\n`);

  const header = ['variant', 'embed docs/s (CSV→Arrow)', 'embed tok/s', 'EP', 'GPU MiB', 'bench pipeline docs/s', 'bare docs/s', 'pipeline ÷ bare', 'cosine vs fp32 (min/mean)', 'main thread: read/tokenize/write s', 'infer s (summed)'];
  const lines = VARIANTS.map((v) => {
    const e = embeds[v.name];
    const b = bench.configs.find((c) => c.variant === v.name && String(c.batch_tokens) === BATCH_TOKENS.split(',')[0] && String(c.workers) === WORKERS.split(',')[0]) ?? bench.configs.find((c) => c.variant === v.name);
    const acc = record[`accuracy_${v.name}`] as { embeddings?: { min_cosine: number; mean_cosine: number } } | undefined;
    const st = e.stages_ms as Record<string, number>;
    return [v.name, fmt(e.docs_per_s as number), fmt(e.tokens_per_s as number), String(e.execution_provider), e.gpu_memory_peak_mib === null ? '-' : fmt(e.gpu_memory_peak_mib as number),
      b ? fmt(b.pipeline.docs_per_s) : '?', b?.bare ? fmt(b.bare.docs_per_s) : '?', b?.ratio_to_bare?.toFixed(2) ?? '?',
      acc?.embeddings ? `${acc.embeddings.min_cosine.toFixed(5)} / ${acc.embeddings.mean_cosine.toFixed(5)}` : v.name === 'fp32' ? 'reference' : '?',
      `${(st.readMs / 1000).toFixed(1)} / ${(st.tokenizeMs / 1000).toFixed(1)} / ${(st.writeMs / 1000).toFixed(1)}`, (st.inferMs / 1000).toFixed(1)];
  });
  const table = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`)].join('\n');
  writeFileSync(join(OUT, 'table.md'), `${table}\n`);
  process.stdout.write(`\n${DEVICE}, ${ROWS} rows (embed), ${BENCH_ROWS} rows (bench), batch tokens ${BATCH_TOKENS}, workers ${WORKERS}; ${record.total_s as number > 0 ? (record.total_s as number).toFixed(0) : '?'} s in all\n${table}\n\ndetails: ${OUT}/gpu-run.json, bench.json, bench.svg, manifest-*.json, logs/\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`gpu-run: FAILED: ${(err as Error).message}\n`);
  process.exit(1);
});
