import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { OutputError } from '../errors.js';
import type { ModelSpec, ModelVariantInfo } from '../model/model-spec.js';
import { fingerprintDifference, MANIFEST_FILE, MANIFEST_FORMAT, REJECTS_FILE, type Manifest, type StageTimes } from './manifest.js';
import { emptyStages, formatDuration } from './progress.js';
import type { SchedulerStats } from './scheduler.js';

/** What a finished (or interrupted) job reports; the manifest holds the same figures. */
export interface JobSummary {
  task: string;
  status: 'complete' | 'interrupted';
  /** True when --resume found the job already complete and did nothing. */
  alreadyComplete: boolean;
  out: string;
  manifestPath: string;
  rows_in: number;
  rows_out: number;
  rows_rejected: number;
  rejects_by_code: Record<string, number>;
  parts: number;
  tokens: number;
  elapsed_s: number;
  docs_per_s: number;
  tokens_per_s: number;
  execution_provider: string;
  fallback_reason: string | null;
  /** The model that ran (`albert-mini/variants/int8-fused`) and its variant, when the folder records one. */
  model: string;
  model_variant: ModelVariantInfo | null;
  stages_ms: StageTimes;
  counts: Record<string, number>;
  batches: SchedulerStats | null;
}

export function newManifest(a: { task: string; toolVersion: string; fingerprint: Record<string, unknown>; spec: ModelSpec; ep: string; fallbackReason: string | null; input: string | Readable; rerun: Manifest['rerun'] }): Manifest {
  const now = new Date().toISOString();
  const path = typeof a.input === 'string' && a.input !== '-' ? resolve(a.input) : null;
  return {
    format: MANIFEST_FORMAT,
    tool: { name: 'albert-pipeline', version: a.toolVersion },
    task: a.task,
    status: 'running',
    fingerprint: a.fingerprint,
    model: { name: a.spec.name, sha256: a.spec.onnxSha256, execution_provider: a.ep, fallback_reason: a.fallbackReason, variant: a.spec.variant ?? null },
    input: { path, bytes: path ? statSync(path, { throwIfNoEntry: false })?.size ?? null : null },
    parts: [],
    next: { seq: 0, offset: null },
    rejects: { file: REJECTS_FILE, bytes: 0, sha256: EMPTY_SHA256, by_code: {} },
    rows_in: 0,
    rows_out: 0,
    rows_rejected: 0,
    tokens: 0,
    counts: {},
    elapsed_s: 0,
    docs_per_s: 0,
    tokens_per_s: 0,
    stages_ms: emptyStages(),
    started_at: now,
    updated_at: now,
    rerun: a.rerun,
  };
}

/** The sha256 of no bytes: an empty rejects file's. */
export const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** Checks that --resume continues the same job (same input, model and output-shaping options). */
export function resumeManifest(prior: Manifest, fingerprint: Record<string, unknown>, out: string): Manifest {
  const d = fingerprintDifference(prior.fingerprint, fingerprint);
  if (d) {
    throw new OutputError(
      'ALB_RESUME_MISMATCH',
      `--resume: the job in ${out} was started with ${d.key}=${JSON.stringify(d.was)}, this run has ${d.key}=${JSON.stringify(d.now)}; resume with the same options, or --overwrite to start over`,
      { option: '--resume', key: d.key },
    );
  }
  return { ...prior, status: prior.status === 'complete' ? 'complete' : 'running' };
}

export function summarize(m: Manifest, out: string, extra: { alreadyComplete?: boolean; interrupted?: boolean; retries?: SchedulerStats }): JobSummary {
  return {
    task: m.task,
    status: extra.interrupted ? 'interrupted' : 'complete',
    alreadyComplete: Boolean(extra.alreadyComplete),
    out,
    manifestPath: resolve(out, MANIFEST_FILE),
    rows_in: m.rows_in,
    rows_out: m.rows_out,
    rows_rejected: m.rows_rejected,
    rejects_by_code: { ...m.rejects.by_code },
    parts: m.parts.length,
    tokens: m.tokens,
    elapsed_s: m.elapsed_s,
    docs_per_s: m.docs_per_s,
    tokens_per_s: m.tokens_per_s,
    execution_provider: m.model.execution_provider,
    fallback_reason: m.model.fallback_reason,
    model: m.model.name,
    model_variant: m.model.variant ?? null,
    stages_ms: m.stages_ms,
    counts: { ...m.counts },
    batches: extra.retries ?? null,
  };
}

const n = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** The stage that held the job back, and the share its rule measured (0–1); see {@link bottleneck}. */
export type Bottleneck =
  | { stage: 'inference' | 'postprocessing'; queuedShare: number }
  | { stage: 'reading' | 'tokenizing' | 'writing'; mainShare: number; queuedShare: number };

/**
 * A batch that waited this share of its time in the pool for a worker (or more) means the
 * workers were busy. With the queue full, each batch waits behind `queuePerWorker` (2 on
 * CPU, 3 on CUDA) others, about 67–75%; with the workers starved, close to 0%.
 */
const WORKERS_BUSY_SHARE = 1 / 3;

/**
 * Which stage held the job back, from its stage times. The times are not all comparable:
 * read, tokenize and write run on the main thread, one after another, while infer and post
 * run in the workers, in parallel and summed over them, so "the biggest number" would
 * always be inference on a pool of several workers. The rule instead asks whether the
 * workers had work waiting: `queueMs` is how long batches waited in the pool's queue for a
 * free worker. If batches waited at least a third of their time in the pool, the workers
 * were the limit: inference (or post-processing, if that took longer). Otherwise the
 * workers were waiting for the main thread, and the bottleneck is its largest stage.
 * Null when no batch ran.
 *
 * @example
 * ```ts
 * bottleneck({ readMs: 200, tokenizeMs: 900, queueMs: 40_000, inferMs: 20_000, postMs: 500, writeMs: 300 });
 * // { stage: 'inference', queuedShare: 0.66... }
 * ```
 */
export function bottleneck(st: StageTimes): Bottleneck | null {
  const worker = st.inferMs + st.postMs;
  if (!(worker > 0)) return null;
  const queuedShare = st.queueMs / (st.queueMs + worker);
  if (queuedShare >= WORKERS_BUSY_SHARE) return { stage: st.postMs > st.inferMs ? 'postprocessing' : 'inference', queuedShare };
  const main = [
    ['reading', st.readMs],
    ['tokenizing', st.tokenizeMs],
    ['writing', st.writeMs],
  ] as const;
  const total = st.readMs + st.tokenizeMs + st.writeMs;
  const [stage, ms] = main.reduce((a, b) => (b[1] > a[1] ? b : a));
  return { stage, mainShare: total > 0 ? ms / total : 0, queuedShare };
}

/** The bottleneck as the summary line says it. */
export function bottleneckText(b: Bottleneck): string {
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  if ('mainShare' in b) return `bottleneck: ${b.stage} (${pct(b.mainShare)} of main-thread time; batches waited ${pct(b.queuedShare)} of their pool time for a worker)`;
  return `bottleneck: ${b.stage} (batches waited ${pct(b.queuedShare)} of their pool time for a free worker)`;
}

/** The one-line summary printed at the end of a job, ending with its bottleneck when batches ran. */
export function summaryLine(s: JobSummary): string {
  if (s.alreadyComplete) return `${s.task}: ${s.out} already holds a complete job (${n.format(s.rows_out)} rows); nothing to do`;
  const head = s.status === 'interrupted' ? `${s.task}: interrupted after` : `${s.task}:`;
  const rej = s.rows_rejected > 0 ? ` (${n.format(s.rows_rejected)} rejected: ${Object.entries(s.rejects_by_code).map(([k, v]) => `${k} ${v}`).join(', ')}; see ${REJECTS_FILE})` : '';
  const ep = `${s.fallback_reason ? `${s.execution_provider} (fallback)` : s.execution_provider}${s.model_variant ? `, ${s.model_variant.name} variant` : ''}`;
  const limit = bottleneck(s.stages_ms);
  return `${head} ${n.format(s.rows_in)} rows in, ${n.format(s.rows_out)} out${rej} · ${s.parts} part${s.parts === 1 ? '' : 's'} in ${s.out} · ${formatDuration(s.elapsed_s)} · ${n.format(s.docs_per_s)} docs/s · ${n.format(s.tokens_per_s)} tok/s · ${ep}${limit ? ` · ${bottleneckText(limit)}` : ''}`;
}
