/**
 * `albert bench`: how fast a model folder (and its variants) runs here, on the user's rows
 * or a generated corpus, across --batch-tokens × --workers × variant, each configuration a
 * fresh process, runs interleaved; next to each, the bare session over the same batches
 * (the ceiling). Writes a JSON record and an SVG chart, and recommends settings.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelError, optionError } from '../errors.js';
import { listVariants, readModelVariant, type ModelVariant } from '../convert/model-variant.js';
import { writeCorpusSubset } from '../io/corpus-subset.js';
import { sha256File } from '../io/durable-file.js';
import { staleNote } from '../pipeline/choose-variant.js';
import { loadModel, makeTokenizer } from '../pipeline/load-model.js';
import { parseDevice } from '../workers/execution-providers.js';
import type { BenchChildConfig } from './bench-child.js';
import { benchChart, benchTable, recommend, type BenchConfigResult } from './bench-report.js';
import { lengthSampler, writeGeneratedCorpus } from './generated-corpus.js';
import { machineInfo, round } from './machine.js';
import { measureInterleaved, mib, runChildScript, type Measured, type MeasureOptions } from './measure.js';
import { renderChart } from './svg-chart.js';

export interface BenchOptions {
  /** The model folder. */
  model: string;
  /** `fp32` (the folder's own model.onnx), names under variants/, or `all`. */
  variants: readonly string[];
  /** Rows from this CSV (its `textColumn`); else a generated corpus with `lengths`. */
  data: string | null;
  textColumn: string;
  lengths: string;
  rows: number;
  batchTokens: readonly number[];
  workers: readonly number[];
  threads: number | null;
  device: string;
  maxLength: number | null;
  /** Also time the bare session (the ceiling) for each variant and batch size. */
  bare: boolean;
  /** `<out>.json` and `<out>.svg`. */
  out: string;
  measure: MeasureOptions;
  seed: number;
  /** The command line, for the record. */
  command: string;
}

interface Target {
  readonly name: string;
  readonly dir: string;
  readonly variant: ModelVariant | null;
  /** Made from another model.onnx than the folder's (see staleNote): its check does not count. */
  readonly stale: string | null;
}

/**
 * Runs the sweep, writes `<out>.json` and `<out>.svg`, returns the record and a table.
 *
 * @throws ModelError `ALB_VARIANT_NOT_FOUND` for a variant the folder does not have
 * @example
 * ```ts
 * const { table } = await runBench({ model: 'models/albert-mini', variants: ['all'], data: null, lengths: 'lognormal:48,0.8', rows: 2000, batchTokens: [2048, 8192], workers: [1, 2], … });
 * ```
 */
export async function runBench(o: BenchOptions): Promise<{ record: Record<string, unknown>; table: string; files: string[] }> {
  const device = parseDevice(o.device);
  const targets = await resolveTargets(o.model, o.variants);
  const work = mkdtempSync(join(tmpdir(), 'albert-bench-'));
  const started = new Date();
  try {
    const input = join(work, 'rows.csv');
    let source: Record<string, unknown>;
    if (o.data) {
      const s = await writeCorpusSubset(o.data, input, o.rows, o.textColumn);
      source = { data: resolve(o.data), text_column: o.textColumn, rows: s.rows, passes: s.passes };
    } else {
      const model = await loadModel(targets[0].dir);
      const tokenizer = makeTokenizer(model, o.maxLength);
      await writeGeneratedCorpus(input, o.rows, await lengthSampler(o.lengths, tokenizer, tokenizer.maxLength), tokenizer, o.seed);
      source = { generated: o.lengths, rows: o.rows, seed: o.seed };
    }
    const child = join(dirname(fileURLToPath(import.meta.url)), 'bench-child.js');
    const jobs = [];
    for (const t of targets) {
      for (const bt of o.batchTokens) {
        for (const w of o.workers) {
          jobs.push({ key: `p|${t.name}|${bt}|${w}`, label: `${t.name} bt${bt} w${w}`, config: (i: number): BenchChildConfig & { work: string } => ({
            kind: 'pipeline', input, model: t.dir, work: join(work, `p-${t.name}-${bt}-${w}-${i}`), device: o.device, batchTokens: bt, workers: w, threads: o.threads, maxLength: o.maxLength,
          }) });
        }
        if (o.bare) {
          const w = Math.max(...o.workers);
          jobs.push({ key: `b|${t.name}|${bt}`, label: `${t.name} bt${bt} bare session`, config: (i: number): BenchChildConfig & { work: string } => ({
            kind: 'bare', input, model: t.dir, work: join(work, `b-${t.name}-${bt}-${i}`), device: o.device, batchTokens: bt, workers: w, threads: o.threads, maxLength: o.maxLength,
          }) });
        }
      }
    }
    const { results, failed, discarded } = await measureInterleaved(o.measure, jobs, (cfg, job) => runChildScript(child, cfg, job.label, o.measure));
    const configs: BenchConfigResult[] = [];
    for (const t of targets) {
      for (const bt of o.batchTokens) {
        const bare = results[`b|${t.name}|${bt}`]?.median ?? null;
        for (const w of o.workers) {
          const r = results[`p|${t.name}|${bt}|${w}`];
          if (!r) continue;
          const fp32 = results[`p|${targets[0].name}|${bt}|${w}`]?.median;
          configs.push({
            variant: t.name, precision: t.variant?.precision ?? 'fp32', fused: t.variant?.fused ?? false,
            accuracy: accuracyOf(t, t.name === targets[0].name),
            batch_tokens: bt, workers: w, pipeline: summarize(r.median), runs_docs_per_s: r.runs.map((x) => round(x.docs_per_s, 2)),
            bare: bare ? summarize(bare) : null,
            ratio_to_bare: bare ? round(r.median.docs_per_s / bare.docs_per_s, 3) : null,
            ratio_to_first_variant: fp32 ? round(r.median.docs_per_s / fp32.docs_per_s, 3) : null,
            cpu_ratio_to_first_variant: fp32 ? round(cpuPerDoc(fp32) / cpuPerDoc(r.median), 3) : null,
          });
        }
      }
    }
    const recommendation = recommend(configs, device.ep);
    const record = {
      format: 'albert-bench/1',
      command: o.command,
      date: started.toISOString(),
      finished: new Date().toISOString(),
      machine: machineInfo(),
      loadavg_at_end: loadavg().map((x) => round(x, 2)),
      model: resolve(o.model),
      device: o.device,
      input: source,
      variants: targets.map((t) => ({ name: t.name, dir: t.dir, precision: t.variant?.precision ?? 'fp32', fused: t.variant?.fused ?? false, accuracy: t.variant?.accuracy ?? null })),
      repeat: o.measure.repeat,
      configs,
      recommendation,
      failed,
      discarded_busy_runs: discarded,
      note: 'docs/s of the pipeline cover the whole runJob call (start-up, CSV read, tokenize, infer, Arrow write); the bare session times session.run over the same batches only. Figures are the median run; runs were interleaved over configurations.',
    };
    mkdirSync(dirname(resolve(o.out)), { recursive: true });
    const files = [`${o.out}.json`, `${o.out}.svg`];
    writeFileSync(files[0], `${JSON.stringify(record, null, 2)}\n`);
    writeFileSync(files[1], renderChart(benchChart(record.machine.cpu_model, basename(resolve(o.model)), o.device, configs, recommendation)));
    return { record, table: benchTable(configs, recommendation, failed), files };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function summarize(m: Measured): BenchConfigResult['pipeline'] {
  const extra = m.extra as { stages_ms?: Record<string, number>; gpu_memory_peak_mib?: number | null; execution_provider?: string };
  return {
    docs_per_s: round(m.docs_per_s, 2), real_tokens_per_s: round(m.tokens_per_s, 0), padding_efficiency: m.padding_efficiency === null ? null : round(m.padding_efficiency, 4),
    peak_rss_mib: mib(m.max_rss_kib), gpu_memory_peak_mib: extra.gpu_memory_peak_mib ?? null, timed_s: round(m.timed_s, 2), rows: m.rows, cpu_ms_per_doc: round(cpuPerDoc(m), 3),
    stages_ms: extra.stages_ms ?? null, execution_provider: extra.execution_provider ?? null, others_busy_cores: m.contention.foreign_busy_cores,
  };
}

function cpuPerDoc(m: Measured): number {
  return (1000 * m.measured_cpu_s) / Math.max(1, m.rows);
}

/** `reference` (the folder's own model), `passed`/`missed` (its check), `stale`, `not checked`: only the first two are recommended. */
function accuracyOf(t: Target, reference: boolean): string {
  if (reference) return 'reference';
  if (t.stale) return 'stale';
  return t.variant?.accuracy ? (t.variant.accuracy.passed ? 'passed' : 'missed') : 'not checked';
}

/** `fp32` is the folder's own model; `all` adds every variant under variants/. */
async function resolveTargets(model: string, names: readonly string[]): Promise<Target[]> {
  const found = listVariants(model);
  let sha: Promise<string | null> | undefined;
  const baseSha = () => (sha ??= sha256File(join(model, 'model.onnx')).catch(() => null));
  const ownVariant = readModelVariant(model);
  const own: Target = { name: ownVariant?.name ?? 'fp32', dir: resolve(model), variant: ownVariant, stale: null };
  const wanted = names.includes('all') ? [own.name, ...found.map((f) => f.variant.name)] : names;
  if (wanted.length === 0) throw optionError('--variants', names.join(','), 'fp32, all, or variant names');
  const targets: Target[] = [];
  for (const n of new Set(wanted)) {
    if (n === own.name || n === 'fp32' || n === 'none') {
      if (!targets.includes(own)) targets.push(own);
      continue;
    }
    const f = found.find((x) => x.variant.name === n);
    if (!f) throw new ModelError('ALB_VARIANT_NOT_FOUND', `--variants ${n}: ${model} has no variant ${JSON.stringify(n)} (${found.length ? `it has ${found.map((x) => x.variant.name).join(', ')}` : 'no variants/ folder'}); make it with albert optimize`, { option: '--variants', got: n });
    targets.push({ name: n, dir: f.dir, variant: f.variant, stale: await staleNote(model, f, baseSha) });
  }
  return targets;
}
