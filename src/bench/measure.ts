/**
 * How one system is measured: each run in a fresh child process (so peak RSS is its own),
 * after waiting for a quiet machine, with the CPU other processes used meanwhile recorded;
 * and runs of several systems interleaved so that slow drift of the machine is shared.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { SystemResult } from './child.js';
import { busyCpuSeconds, round, waitForQuiet, type QuietSample } from './machine.js';
import { fmt } from './svg-chart.js';

export const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const logLine = log;

/** How runs wait for a quiet machine, repeat and retry. */
export interface MeasureOptions {
  /** Wait up to this many seconds for the machine to be quiet before each run. */
  waitIdle: number;
  /** Foreign CPU (cores busy, other processes) under which the machine counts as quiet. */
  idleCores: number;
  /** Re-run a measurement (up to this many times) when others kept more than idleCores busy during it. */
  retryBusy: number;
  /** Runs per job, interleaved. */
  repeat: number;
  /** Where the children run (their cwd). */
  cwd?: string;
  /** Progress lines (default: stderr, `bench: …`). */
  log?: (line: string) => void;
}

export interface Contention {
  before: QuietSample;
  waited_s: number;
  loadavg_1m_after: number;
  /** Cores other processes kept busy while the child ran (/proc/stat busy − the child's CPU). */
  foreign_busy_cores: number | null;
  child_wall_s: number;
}

export type Measured = SystemResult & { contention: Contention };

/**
 * Runs one child script with one JSON argument, after waiting for a quiet machine, and
 * returns its result line with how busy the machine was meanwhile.
 */
export async function runChildScript<R extends SystemResult = SystemResult>(script: string, cfg: unknown, label: string, o: MeasureOptions): Promise<R & { contention: Contention }> {
  const say = o.log ?? log;
  const waited = await waitForQuiet(o.waitIdle, o.idleCores, say);
  if (waited.sample.busy_cores !== null && waited.sample.busy_cores > o.idleCores) {
    say(`warning: other processes keep ${waited.sample.busy_cores} cores busy (load ${waited.sample.loadavg_1m}); figures will suffer`);
  }
  const b0 = busyCpuSeconds();
  const t0 = performance.now();
  const child = spawn(process.execPath, [script, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'], cwd: o.cwd ?? process.cwd() });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (stdout += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c));
  });
  const wall = (performance.now() - t0) / 1000;
  const b1 = busyCpuSeconds();
  const last = stdout.trim().split('\n').pop() ?? '';
  let parsed: (R & { error?: undefined }) | { error: { message: string; stack: string | null } };
  try {
    parsed = JSON.parse(last) as typeof parsed;
  } catch {
    throw new Error(`${label} exited with ${code} and no result; stdout ended with: ${stdout.slice(-2000)}`);
  }
  if ('error' in parsed && parsed.error) throw Object.assign(new Error(`${label} failed: ${parsed.error.message}`), { childStack: parsed.error.stack });
  const r = parsed as R;
  return {
    ...r,
    contention: {
      before: waited.sample,
      waited_s: waited.waited_s,
      loadavg_1m_after: round(loadavg()[0], 2),
      foreign_busy_cores: b0 === null || b1 === null ? null : round(Math.max(0, b1 - b0 - r.cpu_s) / wall, 2),
      child_wall_s: round(wall, 2),
    },
  };
}

/** The run whose docs/s is the median (the lower middle for an even count). */
export function medianRun<M extends { docs_per_s: number }>(runs: M[]): M {
  const sorted = [...runs].sort((x, y) => x.docs_per_s - y.docs_per_s);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export function mib(kib: number): number {
  return round(kib / 1024, 1);
}

export interface Job<C extends { work: string }> {
  key: string;
  label: string;
  /** The child's config for repeat i. */
  config: (i: number) => C;
}

/**
 * Runs every job `repeat` times, interleaved (round 1: every job, round 2: every job, …) so
 * that slow drift of the machine spreads over all jobs instead of favouring one. A run
 * during which others kept more than --idle-cores cores busy is measured again (up to
 * --retry-busy times). A job that fails is reported and dropped; the others go on.
 */
export async function measureInterleaved<C extends { work: string }, M extends Measured = Measured>(
  args: MeasureOptions, jobs: Job<C>[], run: (cfg: C, job: Job<C>) => Promise<M>,
): Promise<{ results: Record<string, { median: M; runs: M[] }>; discarded: Array<Record<string, unknown>>; failed: Record<string, string> }> {
  const log = args.log ?? logLine;
  const runs = new Map<string, M[]>(jobs.map((j) => [j.key, []]));
  const discarded: Array<Record<string, unknown>> = [];
  const failed: Record<string, string> = {};
  for (let i = 0; i < args.repeat; i++) {
    for (const job of jobs) {
      if (failed[job.key]) continue;
      log(`${job.label}: run ${i + 1}/${args.repeat}…`);
      const cfg = job.config(i);
      const measure = async (): Promise<M> => {
        rmSync(cfg.work, { recursive: true, force: true });
        mkdirSync(cfg.work, { recursive: true });
        const r = await run(cfg, job);
        rmSync(cfg.work, { recursive: true, force: true });
        log(`${job.label}: ${fmt(r.docs_per_s)} docs/s, ${fmt(r.tokens_per_s)} tok/s, peak RSS ${fmt(mib(r.max_rss_kib))} MiB (others kept ${r.contention.foreign_busy_cores ?? '?'} cores busy)`);
        return r;
      };
      try {
        let r = await measure();
        for (let retry = 0; retry < args.retryBusy && (r.contention.foreign_busy_cores ?? 0) > args.idleCores; retry++) {
          discarded.push({ job: job.key, run: i, docs_per_s: round(r.docs_per_s, 2), contention: r.contention });
          log(`${job.label}: others were busy during the run; measuring again (${retry + 1}/${args.retryBusy})`);
          r = await measure();
        }
        runs.get(job.key)!.push(r);
      } catch (err) {
        // One job failing must not throw away the others' (long) runs.
        failed[job.key] = (err as Error).message;
        log(`${job.label}: ${(err as Error).message}`);
      }
    }
  }
  const results: Record<string, { median: M; runs: M[] }> = {};
  for (const [key, list] of runs) if (list.length > 0) results[key] = { median: medianRun(list), runs: list };
  return { results, discarded, failed };
}
