import type { Readable } from 'node:stream';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { OutputError } from '../errors.js';
import type { ModelSpec } from '../model/model-spec.js';
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
  stages_ms: StageTimes;
  counts: Record<string, number>;
  batches: SchedulerStats | null;
}

export function newManifest(a: { task: string; toolVersion: string; fingerprint: Record<string, unknown>; spec: ModelSpec; ep: string; fallbackReason: string | null; input: string | Readable }): Manifest {
  const now = new Date().toISOString();
  const path = typeof a.input === 'string' && a.input !== '-' ? resolve(a.input) : null;
  return {
    format: MANIFEST_FORMAT,
    tool: { name: 'albert-pipeline', version: a.toolVersion },
    task: a.task,
    status: 'running',
    fingerprint: a.fingerprint,
    model: { name: a.spec.name, sha256: a.spec.onnxSha256, execution_provider: a.ep, fallback_reason: a.fallbackReason },
    input: { path, bytes: path ? statSync(path, { throwIfNoEntry: false })?.size ?? null : null },
    parts: [],
    next: { seq: 0, offset: null },
    rejects: { file: REJECTS_FILE, bytes: 0, by_code: {} },
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
  };
}

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
    stages_ms: m.stages_ms,
    counts: { ...m.counts },
    batches: extra.retries ?? null,
  };
}

const n = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** The one-line summary printed at the end of a job. */
export function summaryLine(s: JobSummary): string {
  if (s.alreadyComplete) return `${s.task}: ${s.out} already holds a complete job (${n.format(s.rows_out)} rows); nothing to do`;
  const head = s.status === 'interrupted' ? `${s.task}: interrupted after` : `${s.task}:`;
  const rej = s.rows_rejected > 0 ? ` (${n.format(s.rows_rejected)} rejected: ${Object.entries(s.rejects_by_code).map(([k, v]) => `${k} ${v}`).join(', ')}; see ${REJECTS_FILE})` : '';
  const ep = s.fallback_reason ? `${s.execution_provider} (fallback)` : s.execution_provider;
  return `${head} ${n.format(s.rows_in)} rows in, ${n.format(s.rows_out)} out${rej} · ${s.parts} part${s.parts === 1 ? '' : 's'} in ${s.out} · ${formatDuration(s.elapsed_s)} · ${n.format(s.docs_per_s)} docs/s · ${n.format(s.tokens_per_s)} tok/s · ${ep}`;
}
