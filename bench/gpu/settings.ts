/**
 * Settings of the prepared device run, from the environment (run.sh lists them), and the
 * time each step may take. What the device hands back is small and shallow (at most 8 files
 * of < 16 MiB under $OUT, see /work/.library/device/README.md), so only the run's small
 * results go to OUT; models, input CSVs and Arrow parts (hundreds of MB) go to WORK, which
 * must lie outside OUT.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../bench-args.js';
import { GpuRunError } from './gpu-run-error.js';

export interface GpuRunSettings {
  device: string;
  /** Rows of the headline embed run (CSV → Arrow, end to end). */
  rows: number;
  /** Rows of the second, longer embed run the steady-state rate is taken from; 0: none. */
  rowsLong: number;
  benchRows: number;
  out: string;
  work: string;
  /** WORK was made here (a fresh temp folder), so the run removes it at the end. */
  workIsTemp: boolean;
  checkpoint: string;
  corpus: string;
  tokenizer: string;
  checkRows: number;
  /** Comma lists, as `albert bench` takes them; the embed runs use the first entry. */
  batchTokens: string;
  workers: string;
  /** Seconds the whole run may take, start to last write; every step's limit is cut to what is left. */
  budgetS: number;
}

/**
 * Longest each step may run on a GPU before it counts as hung (seconds). Generous against
 * what the steps need on an H100 (make-albert-base 10 s, embed of 65,536 rows well under a
 * minute); the run's budget (BUDGET_S) cuts each to what is left, so a hang costs at most its
 * own limit and the later steps still run. On the CPU a step's time grows with ROWS and the
 * cores, so there only the budget applies.
 */
export type StepKind = 'doctor' | 'make-albert-base' | 'convert' | 'optimize' | 'embed' | 'embed-long' | 'bench';
const GPU_STEP_CAP_S: Record<StepKind, number> = {
  doctor: 60,
  'make-albert-base': 90,
  convert: 120,
  optimize: 120,
  embed: 90,
  'embed-long': 120,
  bench: 180,
};

/** What run.sh states: the whole device call is at most 8 minutes, unpacking the bundle and node's start included. */
export const GPU_BUDGET_S = 450;

/**
 * The long (steady-state) embed runs start only when this much is still left after them for
 * the bench: the bench answers a goal of its own (pipeline ÷ bare session), and is last.
 * None on the CPU, where the budget is not the device's.
 */
export function benchReserveS(s: GpuRunSettings): number {
  return s.device === 'cpu' ? 0 : 120;
}

export function stepCapS(s: GpuRunSettings, kind: StepKind): number {
  return s.device === 'cpu' ? s.budgetS : GPU_STEP_CAP_S[kind];
}

function int(env: NodeJS.ProcessEnv, key: string, dflt: number, min: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new GpuRunError('GPU_RUN_SETTINGS', `${key}: expected an integer >= ${min}, got ${JSON.stringify(raw)}`, { key, got: raw });
  return n;
}

/** True when `inner` is `outer` or lies under it. */
function isInside(inner: string, outer: string): boolean {
  const r = relative(outer, inner);
  return r === '' || (!r.startsWith('..') && !r.startsWith('/'));
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): GpuRunSettings {
  const device = env.DEVICE || 'cuda';
  const cpu = device === 'cpu';
  const rows = int(env, 'ROWS', 65536, 1);
  // Steady state from two runs (see steady-rate.ts): 3× ROWS on a GPU puts 8 CUDA windows of
  // 16,384 rows between them; on the CPU (the tests) 2× keeps the run short.
  const rowsLong = int(env, 'ROWS_LONG', rows * (cpu ? 2 : 3), 0);
  if (rowsLong !== 0 && rowsLong <= rows) throw new GpuRunError('GPU_RUN_SETTINGS', `ROWS_LONG (${rowsLong}) must be more than ROWS (${rows}), or 0 for no steady-state run`, { key: 'ROWS_LONG' });
  const out = resolve(env.OUT || join(REPO_ROOT, 'out', 'gpu-run'));
  const workIsTemp = !env.WORK;
  const work = resolve(env.WORK || join(tmpdir(), 'albert-gpu-work-XXXXXX'));
  if (isInside(work, out)) {
    throw new GpuRunError('GPU_RUN_SETTINGS', `WORK (${work}) lies under OUT (${out}): the device hands back only a few small files from OUT, so models and Arrow parts must go elsewhere (set WORK)`, { key: 'WORK' });
  }
  return {
    device,
    rows,
    rowsLong,
    benchRows: int(env, 'BENCH_ROWS', Math.min(rows, 32768), 1),
    out,
    // A fresh folder per run: two runs here (a test beside a manual run) never share files.
    work: workIsTemp ? mkdtempSync(work.slice(0, -'XXXXXX'.length)) : work,
    workIsTemp,
    checkpoint: env.CHECKPOINT ? resolve(env.CHECKPOINT) : '',
    corpus: resolve(env.CORPUS || join(REPO_ROOT, 'data', 'sample.csv')),
    tokenizer: resolve(env.TOKENIZER || join(REPO_ROOT, 'models', 'albert-mini')),
    checkRows: int(env, 'CHECK_ROWS', 2000, 1),
    batchTokens: env.BATCH_TOKENS || (cpu ? '2048' : '65536'),
    workers: env.WORKERS || '2',
    budgetS: int(env, 'BUDGET_S', cpu ? 1800 : GPU_BUDGET_S, 1),
  };
}
