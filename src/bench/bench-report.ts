/**
 * What `albert bench` prints and draws: the table (one row per configuration), the
 * recommendation, and the SVG chart, from the measured figures.
 */
import { fmt, PALETTE, type ChartSpec, type Segment } from './svg-chart.js';

export interface MeasuredFigures {
  docs_per_s: number;
  real_tokens_per_s: number;
  padding_efficiency: number | null;
  peak_rss_mib: number;
  gpu_memory_peak_mib: number | null;
  timed_s: number;
  rows: number;
  /**
   * CPU time of the whole child process (all threads, start-up included) per row, in ms:
   * the figure that holds still on a machine shared with others, where docs/s moves with
   * their load.
   */
  cpu_ms_per_doc: number;
  stages_ms: Record<string, number> | null;
  execution_provider: string | null;
  others_busy_cores: number | null;
}

export interface BenchConfigResult {
  variant: string;
  precision: string;
  fused: boolean;
  /** `reference` (the folder's own model), `passed`/`missed` (its accuracy check), `stale` (made from another model.onnx), `not checked`. */
  accuracy: string;
  batch_tokens: number;
  workers: number;
  pipeline: MeasuredFigures;
  runs_docs_per_s: number[];
  bare: MeasuredFigures | null;
  /** Pipeline docs/s ÷ the bare session's over the same batches. */
  ratio_to_bare: number | null;
  /** Pipeline docs/s ÷ the first variant's (the folder's own model) at the same settings. */
  ratio_to_first_variant: number | null;
  /** The first variant's CPU ms per doc ÷ this one's (higher: less CPU per row). */
  cpu_ratio_to_first_variant: number | null;
}

export interface Recommendation {
  readonly flags: string;
  readonly variant: string;
  readonly batch_tokens: number;
  readonly workers: number;
  readonly docs_per_s: number;
  readonly why: string;
}

/**
 * The fastest configuration whose variant is safe to run (the folder's own model, or a
 * variant whose accuracy check passed); a faster unchecked one is named, not recommended.
 */
export function recommend(configs: readonly BenchConfigResult[], ep: string): Recommendation | null {
  const safe = configs.filter((c) => c.accuracy === 'reference' || c.accuracy === 'passed');
  const best = [...safe].sort((a, b) => b.pipeline.docs_per_s - a.pipeline.docs_per_s)[0];
  if (!best) return null;
  const fastest = [...configs].sort((a, b) => b.pipeline.docs_per_s - a.pipeline.docs_per_s)[0];
  const ref = configs.find((c) => c.accuracy === 'reference' && c.batch_tokens === best.batch_tokens && c.workers === best.workers);
  const variantFlag = best.accuracy === 'reference' ? '--variant none' : `--variant ${best.variant}`;
  const parts = [`${fmt(best.pipeline.docs_per_s, 1)} docs/s`];
  if (ref && ref !== best) parts.push(`${(best.pipeline.docs_per_s / ref.pipeline.docs_per_s).toFixed(2)}× the ${ref.variant} model at these settings`);
  if (best.accuracy === 'passed') parts.push('its accuracy check passed');
  if (fastest !== best) parts.push(`${fastest.variant} bt${fastest.batch_tokens} w${fastest.workers} was faster (${fmt(fastest.pipeline.docs_per_s, 1)} docs/s) but its accuracy is ${fastest.accuracy}`);
  return { flags: `--device ${ep} ${variantFlag} --batch-tokens ${best.batch_tokens} --workers ${best.workers}`, variant: best.variant, batch_tokens: best.batch_tokens, workers: best.workers, docs_per_s: best.pipeline.docs_per_s, why: parts.join('; ') };
}

const STAGES = [['readMs', 'read'], ['tokenizeMs', 'tokenize'], ['inferMs', 'infer'], ['postMs', 'post'], ['writeMs', 'write']] as const;

/** Where the time went: main-thread stages and summed worker inference, as percentages of their total. */
function stageSplit(st: Record<string, number> | null): string {
  if (!st) return '';
  const total = STAGES.reduce((a, [k]) => a + (st[k] ?? 0), 0);
  return total > 0 ? STAGES.map(([k, n]) => `${n} ${Math.round((100 * (st[k] ?? 0)) / total)}%`).join(' ') : '';
}

export function benchTable(configs: readonly BenchConfigResult[], rec: Recommendation | null, failed: Record<string, string>): string {
  const header = ['variant', 'accuracy', 'batch tokens', 'workers', 'docs/s', 'real tok/s', 'pad eff', 'peak RSS MiB', 'GPU MiB', 'stages (share of time)', '÷ bare', '× first', 'CPU ms/doc', 'CPU × first'];
  const rows = configs.map((c) => [
    c.variant, c.accuracy, String(c.batch_tokens), String(c.workers), fmt(c.pipeline.docs_per_s, 1), fmt(c.pipeline.real_tokens_per_s),
    c.pipeline.padding_efficiency === null ? '?' : `${fmt(100 * c.pipeline.padding_efficiency, 1)}%`, fmt(c.pipeline.peak_rss_mib, 0),
    c.pipeline.gpu_memory_peak_mib === null ? '-' : fmt(c.pipeline.gpu_memory_peak_mib), stageSplit(c.pipeline.stages_ms),
    c.ratio_to_bare === null ? '-' : c.ratio_to_bare.toFixed(2), c.ratio_to_first_variant === null ? '-' : c.ratio_to_first_variant.toFixed(2),
    fmt(c.pipeline.cpu_ms_per_doc, 2), c.cpu_ratio_to_first_variant === null ? '-' : c.cpu_ratio_to_first_variant.toFixed(2),
  ]);
  const bare = configs.filter((c, i, all) => c.bare && all.findIndex((x) => x.variant === c.variant && x.batch_tokens === c.batch_tokens) === i);
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
  if (bare.length) {
    lines.push('', 'bare session (the ceiling: session.run over the same batches, no I/O):');
    for (const c of bare) lines.push(`  ${c.variant} bt${c.batch_tokens}: ${fmt(c.bare!.docs_per_s, 1)} docs/s, ${fmt(c.bare!.real_tokens_per_s)} real tok/s${c.bare!.gpu_memory_peak_mib !== null ? `, GPU ${fmt(c.bare!.gpu_memory_peak_mib)} MiB` : ''}`);
  }
  lines.push('', rec ? `recommended: ${rec.flags}  (${rec.why})` : 'no recommendation: nothing ran');
  if (Object.keys(failed).length) lines.push(`FAILED: ${JSON.stringify(failed)}`);
  return lines.join('\n');
}

export function benchChart(cpu: string, model: string, device: string, configs: readonly BenchConfigResult[], rec: Recommendation | null): ChartSpec {
  const variants = [...new Set(configs.map((c) => c.variant))];
  const color = (v: string): string => PALETTE[variants.indexOf(v) % PALETTE.length];
  const label = (c: BenchConfigResult): string => `${c.variant} · bt ${c.batch_tokens} · w ${c.workers}`;
  const stageColors = ['#76b7b2', '#edc948', '#4e79a7', '#b07aa1', '#e15759'];
  return {
    title: `albert bench: ${model} on ${device}`,
    subtitle: `${cpu}; pipeline docs/s (whole runJob: CSV in, Arrow out) per variant, batch tokens and workers`,
    panels: [
      {
        kind: 'bars', title: 'pipeline docs/s (median run)',
        bars: configs.map((c) => ({ label: label(c), value: c.pipeline.docs_per_s, color: color(c.variant),
          text: `${fmt(c.pipeline.docs_per_s, 1)} docs/s · ${fmt(c.pipeline.real_tokens_per_s)} tok/s${c.ratio_to_bare !== null ? ` · ${c.ratio_to_bare.toFixed(2)}× bare` : ''}` })),
      },
      ...(configs.some((c) => c.bare) ? [{
        kind: 'bars' as const, title: 'bare session docs/s (the ceiling, same batches)',
        bars: configs.filter((c, i, all) => c.bare && all.findIndex((x) => x.variant === c.variant && x.batch_tokens === c.batch_tokens) === i)
          .map((c) => ({ label: `${c.variant} · bt ${c.batch_tokens}`, value: c.bare!.docs_per_s, color: color(c.variant), text: `${fmt(c.bare!.docs_per_s, 1)} docs/s` })),
      }] : []),
      {
        kind: 'stack', title: 'where the pipeline\'s time went (main thread: read, tokenize, write; workers: infer, post, summed)', unit: 's',
        rows: configs.filter((c) => c.pipeline.stages_ms).map((c) => ({
          label: label(c),
          segments: STAGES.map(([k, n], i): Segment => ({ label: n, value: (c.pipeline.stages_ms![k] ?? 0) / 1000, color: stageColors[i] })),
        })),
      },
    ],
    footer: rec ? [`recommended: ${rec.flags}`, rec.why] : [],
  };
}
