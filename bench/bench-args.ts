/**
 * Command-line arguments of `npm run bench` (bench/run.ts). Paths are resolved against the
 * current directory, which `npm run` sets to the repository root.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, whether running from bench/ (tsx) or dist/bench/ (compiled). */
export const REPO_ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/bench/') ? '../../' : '../', import.meta.url));

export type SystemKey = 'a' | 'b' | 'c';
export const SYSTEM_KEYS: readonly SystemKey[] = ['a', 'b', 'c'];

export interface BenchArgs {
  name: string;
  model: string;
  corpus: string;
  /** Rows per run; memory mode may list several (`--rows 100000,1000000`). */
  rows: number[];
  systems: SystemKey[];
  /** Extra runJob options for (a); batchTokens/windowRows also shape (c)'s batches. */
  pipelineArgs: Record<string, unknown>;
  repeat: number;
  /** Sweep mode: runJob option sets, each merged over pipelineArgs, measured interleaved. */
  sweep: Array<Record<string, unknown>> | null;
  /** onnxruntime-node SessionOptions for (c) (default: none, ORT's defaults). */
  sessionOptions: Record<string, unknown> | null;
  memory: boolean;
  maxLength: number | null;
  /** Rows per transformers.js call (b). */
  tjsBatch: number;
  /** Wait up to this many seconds for the machine to be quiet before each measured run. */
  waitIdle: number;
  /** Foreign CPU (cores busy, other processes) under which the machine counts as quiet. */
  idleCores: number;
  /** Re-run a measurement (up to this many times) when others kept more than idleCores busy during it. */
  retryBusy: number;
  /** Keep the temp folder (subset CSV, outputs, embeddings) for inspection. */
  keep: boolean;
  resultsDir: string;
}

const USAGE = `usage: npm run bench -- [--name NAME] [--model DIR] [--corpus CSV] [--rows N] [--systems a,b,c]
       [--pipeline-args JSON] [--session-options JSON] [--repeat N] [--max-length N] [--tjs-batch 32] [--wait-idle SECONDS]
       [--idle-cores 0.3] [--retry-busy N] [--keep] [--results-dir DIR]
       npm run bench -- --sweep '[{"workers":1,"threads":2},{"workers":2,"threads":1}]' [--systems a,c]
       npm run bench -- --memory --rows 100000,1000000 --model test/fixtures/hf-albert-tiny/albert-tiny --max-length 128
systems: a = albert-pipeline runJob (CSV in, Arrow out), b = transformers.js feature-extraction,
         c = one bare onnxruntime-node session (the ceiling)`;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const raw = new Map<string, string>();
  const booleans = new Set(['memory', 'keep', 'help']);
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument ${JSON.stringify(argv[i])}\n${USAGE}`);
    const key = m[1];
    if (booleans.has(key)) {
      raw.set(key, m[2] ?? 'true');
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${key} needs a value\n${USAGE}`);
    raw.set(key, value);
  }
  if (raw.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const known = ['name', 'model', 'corpus', 'rows', 'systems', 'pipeline-args', 'sweep', 'session-options', 'repeat', 'memory', 'max-length', 'tjs-batch', 'wait-idle', 'idle-cores', 'retry-busy', 'keep', 'results-dir'];
  for (const k of raw.keys()) if (!known.includes(k)) throw new Error(`unknown option --${k}\n${USAGE}`);

  const memory = raw.get('memory') === 'true';
  const int = (key: string, fallback: number, min = 1): number => {
    const v = raw.get(key);
    if (v === undefined) return fallback;
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < min) throw new Error(`--${key}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  const rows = (raw.get('rows') ?? '4000').split(',').map((s) => {
    const n = Number(s.trim().replace(/_/g, '').replace(/k$/i, '000').replace(/m$/i, '000000'));
    if (!Number.isInteger(n) || n < 1) throw new Error(`--rows: expected positive integers, got ${JSON.stringify(s)}`);
    return n;
  });
  if (!memory && rows.length !== 1) throw new Error('--rows takes one number, except with --memory');
  const systems = memory ? (['a'] as SystemKey[]) : (raw.get('systems') ?? (raw.has('sweep') ? 'a' : 'a,b,c')).split(',').map((s) => s.trim());
  for (const s of systems) if (!SYSTEM_KEYS.includes(s as SystemKey)) throw new Error(`--systems: unknown system ${JSON.stringify(s)} (a, b or c)`);
  let pipelineArgs: Record<string, unknown> = {};
  if (raw.has('pipeline-args')) {
    try {
      pipelineArgs = JSON.parse(raw.get('pipeline-args')!) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`--pipeline-args: not JSON: ${(err as Error).message}`);
    }
    if (typeof pipelineArgs !== 'object' || pipelineArgs === null || Array.isArray(pipelineArgs)) throw new Error('--pipeline-args: expected a JSON object of runJob options');
    for (const k of ['input', 'out', 'quiet', 'model']) if (k in pipelineArgs) throw new Error(`--pipeline-args: ${k} is set by the bench`);
  }
  let sweep: Array<Record<string, unknown>> | null = null;
  if (raw.has('sweep')) {
    try {
      sweep = JSON.parse(raw.get('sweep')!) as Array<Record<string, unknown>>;
    } catch (err) {
      throw new Error(`--sweep: not JSON: ${(err as Error).message}`);
    }
    if (!Array.isArray(sweep) || sweep.length === 0 || sweep.some((v) => typeof v !== 'object' || v === null || Array.isArray(v))) throw new Error('--sweep: expected a JSON array of runJob option objects');
    if (memory) throw new Error('--sweep and --memory exclude each other');
    for (const v of sweep) for (const k of ['input', 'out', 'quiet', 'model']) if (k in v) throw new Error(`--sweep: ${k} is set by the bench`);
  }
  let sessionOptions: Record<string, unknown> | null = null;
  if (raw.has('session-options')) {
    try {
      sessionOptions = JSON.parse(raw.get('session-options')!) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`--session-options: not JSON: ${(err as Error).message}`);
    }
  }
  const maxLength = raw.has('max-length') ? int('max-length', 0, 2) : null;
  const defaultCorpus = existsSync(join(REPO_ROOT, '../shared/data/docs-corpus.csv')) ? join(REPO_ROOT, '../shared/data/docs-corpus.csv') : join(REPO_ROOT, 'data/sample.csv');
  const idleCores = Number(raw.get('idle-cores') ?? '0.3');
  if (!(idleCores >= 0)) throw new Error('--idle-cores: expected a number >= 0');
  return {
    name: raw.get('name') ?? (memory ? 'memory' : raw.has('sweep') ? 'sweep' : 'bench'),
    model: resolve(raw.get('model') ?? join(REPO_ROOT, 'models/albert-mini')),
    corpus: resolve(raw.get('corpus') ?? defaultCorpus),
    rows,
    systems: [...new Set(systems)] as SystemKey[],
    pipelineArgs,
    repeat: int('repeat', 1),
    sweep,
    sessionOptions,
    memory,
    maxLength,
    tjsBatch: int('tjs-batch', 32),
    waitIdle: int('wait-idle', 0, 0),
    idleCores,
    retryBusy: int('retry-busy', 0, 0),
    keep: raw.get('keep') === 'true',
    resultsDir: resolve(raw.get('results-dir') ?? join(REPO_ROOT, 'bench/results')),
  };
}
