/**
 * gpu-run.json and table.md: the run's results, rewritten whole after every step (written
 * beside and renamed over, so a reader never sees half a file), so a run killed or timed out
 * midway still hands back every step that finished. Key figures only: manifests and the
 * bench record are boiled down to what the table and a reader need, the files stay small.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt } from '../../src/bench/svg-chart.js';
import type { GpuRunErrorCode } from './gpu-run-error.js';
import type { GpuRunSettings } from './settings.js';
import type { SteadyRate } from './steady-rate.js';
import type { StepRecord } from './step-runner.js';

export const RECORD_FILE = 'gpu-run.json';
export const TABLE_FILE = 'table.md';

/** One `albert embed` run, from its manifest and its process. */
export interface EmbedFigures {
  status: string;
  rows_in: number;
  rows_out: number;
  rows_rejected: number;
  tokens: number;
  parts: number;
  /** The manifest's: from runJob's start (model load and sessions included) to its last write. */
  elapsed_s: number;
  docs_per_s: number;
  tokens_per_s: number;
  /** The process's, spawn to exit: node's start and module loading on top of elapsed_s. */
  wall_s: number;
  stages_ms: Record<string, number>;
  execution_provider: string;
  fallback_reason: string | null;
  variant: string;
  gpu_memory_peak_mib: number | null;
  /** The CLI's summary line. */
  summary: string;
}

export interface EmbedResult {
  run: EmbedFigures | null;
  /** The ROWS_LONG run the steady rate comes from. */
  long: EmbedFigures | null;
  steady: SteadyRate | null;
  /** The headline run's wall seconds not explained by its rows at the steady rate: process start, model load, sessions, fill, drain. */
  startup_s: number | null;
}

export interface BenchConfig {
  variant: string;
  batch_tokens: number;
  workers: number;
  pipeline: { docs_per_s: number } & Record<string, unknown>;
  bare: ({ docs_per_s: number } & Record<string, unknown>) | null;
  ratio_to_bare: number | null;
  [k: string]: unknown;
}

export interface GpuRunRecord {
  format: 'albert-pipeline/gpu-run@2';
  status: 'running' | 'complete' | 'failed';
  /** The first thing that made the run fail (a step's, or a gate's). */
  error: { code: GpuRunErrorCode; message: string } | null;
  settings: Omit<GpuRunSettings, 'workIsTemp'>;
  started: string;
  updated: string;
  total_s: number;
  steps: StepRecord[];
  doctor: unknown;
  input: { rows: number; rows_long: number | null; corpus_passes: number } | null;
  /** `albert optimize --json`'s check of each fp16 variant against fp32 on the device. */
  accuracy: Record<string, { embeddings?: { rows: number; min_cosine: number; mean_cosine: number } } & Record<string, unknown>>;
  embed: Record<string, EmbedResult>;
  bench: { configs: BenchConfig[]; recommendation: unknown; failed: unknown } | null;
  /** table.md's content. */
  table: string;
}

export function newRecord(s: GpuRunSettings): GpuRunRecord {
  const { workIsTemp: _, ...settings } = s;
  const now = new Date().toISOString();
  return { format: 'albert-pipeline/gpu-run@2', status: 'running', error: null, settings, started: now, updated: now, total_s: 0, steps: [], doctor: null, input: null, accuracy: {}, embed: {}, bench: null, table: '' };
}

const num = (x: number | null | undefined, digits = 0): string => (typeof x === 'number' && Number.isFinite(x) ? fmt(x, digits) : '-');

/** The table: one row per variant, '-' where a step did not run or did not finish. */
export function tableOf(r: GpuRunRecord, variants: readonly string[]): string {
  const s = r.settings;
  const bt = s.batchTokens.split(',')[0];
  const w = s.workers.split(',')[0];
  const header = [
    'variant', 'EP', `embed docs/s (${fmt(s.rows)} rows, CSV→Arrow)`, `steady docs/s (${fmt(s.rows)}→${fmt(s.rowsLong)} rows)`, 'start-up s', 'embed tok/s', 'GPU MiB',
    'bench pipeline docs/s', 'bare docs/s', 'pipeline ÷ bare', 'steady ÷ bare', 'cosine vs fp32 (min/mean)', 'main thread: read/tokenize/write s', 'infer s (summed)',
  ];
  const lines = variants.map((v) => {
    const e = r.embed[v];
    const run = e?.run ?? null;
    const steady = e?.steady ?? null;
    const configs = r.bench?.configs ?? [];
    const b = configs.find((c) => c.variant === v && String(c.batch_tokens) === bt && String(c.workers) === w) ?? configs.find((c) => c.variant === v);
    const acc = r.accuracy[v]?.embeddings;
    const st = run?.stages_ms;
    const sec = (ms: number | undefined): string => (typeof ms === 'number' ? (ms / 1000).toFixed(1) : '-');
    return [
      v, run?.execution_provider ?? '-', num(run?.docs_per_s), num(steady?.docs_per_s), num(e?.startup_s, 1), num(run?.tokens_per_s), num(run?.gpu_memory_peak_mib),
      num(b?.pipeline.docs_per_s), num(b?.bare?.docs_per_s), num(b?.ratio_to_bare, 2),
      steady && b?.bare ? fmt(steady.docs_per_s / b.bare.docs_per_s, 2) : '-',
      acc ? `${acc.min_cosine.toFixed(5)} / ${acc.mean_cosine.toFixed(5)}` : v === 'fp32' ? 'reference' : '-',
      st ? `${sec(st.readMs)} / ${sec(st.tokenizeMs)} / ${sec(st.writeMs)}` : '-', sec(st?.inferMs),
    ];
  });
  const title = `${s.device}, ${fmt(s.rows)} rows (embed; steady state from ${s.rowsLong ? fmt(s.rowsLong) : 'no'} rows), ${fmt(s.benchRows)} rows (bench), batch tokens ${s.batchTokens}, workers ${s.workers}; ${r.total_s.toFixed(0)} s, ${r.status}`;
  return [title, '', `| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`)].join('\n');
}

function writeAtomic(dir: string, name: string, text: string): void {
  const tmp = join(dir, `.${name}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, name));
}

/** Rewrites gpu-run.json and table.md under OUT from the record as it stands. */
export function saveRecord(r: GpuRunRecord, variants: readonly string[], t0: number): void {
  r.updated = new Date().toISOString();
  r.total_s = (performance.now() - t0) / 1000;
  r.table = tableOf(r, variants);
  writeAtomic(r.settings.out, RECORD_FILE, `${JSON.stringify(r, null, 2)}\n`);
  writeAtomic(r.settings.out, TABLE_FILE, `${r.table}\n`);
}
