/**
 * The chart of a result, built from the result JSON alone, so that `rechart.js` can redraw
 * a committed result without measuring again (see bench/rechart.ts).
 */
import { basename } from 'node:path';
import { fmt, PALETTE, type Bar, type ChartSpec, type Segment } from '../src/bench/svg-chart.js';

type SystemKey = 'a' | 'b' | 'c';

export const NAMES: Record<SystemKey, string> = { a: '(a) albert-pipeline', b: '(b) transformers.js', c: '(c) bare ORT session' };
export const COLORS: Record<SystemKey, string> = { a: '#4e79a7', b: '#f28e2b', c: '#59a14f' };
const STAGE_COLORS = { readMs: '#76b7b2', tokenizeMs: '#edc948', queueMs: '#bab0ac', inferMs: '#4e79a7', postMs: '#b07aa1', writeMs: '#e15759' };

/** The fields of a system's figures that charts use. */
interface Figures {
  docs_per_s: number;
  tokens_per_s: number;
  max_rss_kib: number;
  padding_efficiency: number | null;
  timed_s: number;
  extra: Record<string, unknown>;
}

/** A bench result as bench/run.ts writes it (loosely: only what charts read). */
export interface ResultJson {
  name: string;
  mode: 'compare' | 'sweep' | 'memory';
  date: string;
  command: string;
  machine: { cpu_model: string; cores: number; node: string; onnxruntime_node: string | null; transformers_js: string | null; transformers_js_onnxruntime_node: string | null };
  config: { model: string; corpus: string; pipeline_args: Record<string, unknown>; repeat: number; max_length: number | null; systems: SystemKey[] };
  corpus: { rows?: number };
  systems?: Partial<Record<SystemKey, Figures>>;
  variants?: Array<{ label: string; systems: Partial<Record<SystemKey, Figures & { docs_per_s_runs: number[] }>> }>;
  transformers_js?: Figures;
  runs?: Array<Figures & { rows: number; extra: { memory_series?: { samples: Array<[number, number, number, number]> } } }>;
}

const mib = (kib: number) => kib / 1024;
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const pct = (x: number | null) => (x === null ? '?' : `${fmt(100 * x, 1)}%`);

export function chartFromResult(r: ResultJson): ChartSpec {
  const spec = r.mode === 'memory' ? memoryChart(r) : r.mode === 'sweep' ? sweepChart(r) : compareChart(r);
  const m = r.machine;
  spec.footer = [
    `${m.cpu_model} · ${m.cores} cores · node ${m.node} · onnxruntime-node ${m.onnxruntime_node}${m.transformers_js && r.mode !== 'memory' ? ` · transformers.js ${m.transformers_js} (its ORT ${m.transformers_js_onnxruntime_node})` : ''} · ${r.date.slice(0, 16).replace('T', ' ')} UTC`,
    clip(`bench/results/${r.name}.json · ${r.command}`, 125),
  ];
  return spec;
}

function compareChart(r: ResultJson): ChartSpec {
  const sys = r.systems ?? {};
  const { a, b, c } = sys;
  const aSteady = (a?.extra.docs_per_s_excluding_startup_estimate as number | null | undefined) ?? null;
  const bars: Bar[] = [];
  if (a) {
    bars.push({ label: `${NAMES.a} (incl. start-up)`, value: a.docs_per_s, text: `${fmt(a.docs_per_s)} docs/s · ${fmt(a.tokens_per_s)} tok/s`, color: COLORS.a });
    if (aSteady) bars.push({ label: '(a) excl. start-up (est.)', value: aSteady, text: `${fmt(aSteady)} docs/s`, color: '#a0cbe8' });
  }
  if (b) bars.push({ label: NAMES.b, value: b.docs_per_s, text: `${fmt(b.docs_per_s)} docs/s · ${fmt(b.tokens_per_s)} tok/s`, color: COLORS.b });
  if (c) bars.push({ label: `${NAMES.c}, ceiling`, value: c.docs_per_s, text: `${fmt(c.docs_per_s)} docs/s · ${fmt(c.tokens_per_s)} tok/s`, color: COLORS.c });
  const done = (['a', 'b', 'c'] as const).filter((s) => sys[s]);
  const rssBars: Bar[] = done.map((s) => ({ label: NAMES[s], value: sys[s]!.max_rss_kib, text: `${fmt(mib(sys[s]!.max_rss_kib))} MiB · padding eff. ${pct(sys[s]!.padding_efficiency)}`, color: COLORS[s] }));
  const args = r.config.pipeline_args ?? {};
  const spec: ChartSpec = {
    title: `docs/s: ${basename(r.config.model)}, ${fmt(r.corpus.rows ?? 0)} rows`,
    subtitle: `${basename(r.config.corpus)} · ${Object.keys(args).length ? `pipeline ${JSON.stringify(args)} · ` : ''}${r.config.repeat > 1 ? `median of ${r.config.repeat}, interleaved · ` : ''}higher is better`,
    panels: [
      { kind: 'bars', title: 'Throughput (docs/s)', bars, note: '(a): whole runJob call, CSV in → Arrow out; (b), (c): model load and one warm-up batch excluded' },
      { kind: 'bars', title: 'Peak RSS of each system’s process', bars: rssBars },
    ],
  };
  if (a) {
    const st = a.extra.stages_ms as Record<keyof typeof STAGE_COLORS, number>;
    const work: Segment[] = (['readMs', 'tokenizeMs', 'inferMs', 'postMs', 'writeMs'] as const).map((k) => ({ label: k.replace(/Ms$/, ''), value: st[k] ?? 0, color: STAGE_COLORS[k] }));
    const rows = [
      { label: '(a) stage times', segments: work },
      { label: `(a) wall ${fmt(a.timed_s * 1000)} ms`, segments: [{ label: 'runJob wall', value: a.timed_s * 1000, color: '#a0cbe8' }] },
    ];
    if (c) rows.push({ label: `(c) timed ${fmt(c.timed_s * 1000)} ms`, segments: [{ label: 'session.run + pool', value: c.timed_s * 1000, color: COLORS.c }] });
    spec.panels.push({
      kind: 'stack',
      title: '(a) where the time goes (ms)',
      unit: 'ms',
      rows,
      note: `infer/post: summed over batches and workers; read/tokenize/write: main thread. Queue wait (not shown, overlaps infer): ${fmt(st.queueMs ?? 0)} ms`,
    });
  }
  return spec;
}

function sweepChart(r: ResultJson): ChartSpec {
  const bars: Bar[] = [];
  (r.variants ?? []).forEach((v, vi) => {
    for (const s of r.config.systems) {
      const m = s === 'b' ? (vi === 0 ? r.transformers_js : undefined) : v.systems[s];
      if (!m) continue;
      // (c) ignores workers/threads (one session, ORT's threads): label it by batch shape only.
      const label = s === 'b' ? NAMES.b : s === 'a' ? `(a) ${v.label}` : `(c) ${v.label.split(' ').filter((p) => !/^[wt]\d+$/.test(p)).join(' ')}, 1 session`;
      bars.push({ label, value: m.docs_per_s, text: `${fmt(m.docs_per_s)} docs/s · ${fmt(mib(m.max_rss_kib))} MiB peak · pad ${pct(m.padding_efficiency)}`, color: COLORS[s] });
    }
  });
  return {
    title: `albert-pipeline settings: ${basename(r.config.model)}, ${fmt(r.corpus.rows ?? 0)} rows`,
    subtitle: `${basename(r.config.corpus)} · w = workers, t = threads, bt = batchTokens · ${r.config.repeat > 1 ? `median of ${r.config.repeat}, interleaved · ` : ''}higher is better`,
    panels: [{ kind: 'bars', title: 'Throughput (docs/s)', bars, note: '(a): whole runJob call, CSV in → Arrow out; (c): session.run + pooling over the same batches' }],
  };
}

function memoryChart(r: ResultJson): ChartSpec {
  const runs = r.runs ?? [];
  const samples = runs.map((x) => x.extra.memory_series?.samples ?? []);
  const args = r.config.pipeline_args ?? {};
  return {
    title: `Peak RSS of albert-pipeline vs rows: ${basename(r.config.model)}`,
    subtitle: `${basename(r.config.model)}${r.config.max_length ? `, max length ${r.config.max_length}` : ''} · ${basename(r.config.corpus)} repeated · ${Object.keys(args).length ? JSON.stringify(args) : 'default options'}`,
    panels: [
      { kind: 'bars', title: 'Peak RSS (MiB)', bars: runs.map((x, i) => ({ label: `${fmt(x.rows)} rows`, value: x.max_rss_kib, text: `${fmt(mib(x.max_rss_kib))} MiB · ${fmt(x.docs_per_s)} docs/s · ${fmt(x.timed_s)} s`, color: PALETTE[i % PALETTE.length] })) },
      {
        kind: 'lines',
        title: 'Over the run (250 ms samples): RSS, and dashed the main thread’s V8 heap',
        xLabel: 'seconds since process start',
        yLabel: 'MiB',
        series: [
          ...runs.map((x, i) => ({ label: `${fmt(x.rows)} rows: RSS`, color: PALETTE[i % PALETTE.length], points: samples[i].map(([ms, kib]) => [ms / 1000, kib / 1024] as const) })),
          ...runs.map((x, i) => ({ label: `${fmt(x.rows)} rows: main heap used`, color: PALETTE[i % PALETTE.length], dashed: true, points: samples[i].map(([ms, , heap]) => [ms / 1000, heap / 1024] as const) })),
        ],
      },
    ],
  };
}
