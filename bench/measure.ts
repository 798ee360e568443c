/**
 * How the dev bench runs one system: its child script (pipeline-system.js, …) through the
 * shared measuring code (src/bench/measure.ts: quiet-machine wait, contention record,
 * interleaved repeats, median), which `albert bench` uses too.
 */
import { REPO_ROOT, type BenchArgs, type SystemKey } from './bench-args.js';
import type { ChildConfig } from './child.js';
import { NAMES } from './charts.js';
import { measureInterleaved as measureJobs, runChildScript, type Job as SharedJob, type Measured } from '../src/bench/measure.js';

export { log, mib, type Contention, type Measured } from '../src/bench/measure.js';

const SCRIPTS: Record<SystemKey, string> = { a: 'pipeline-system.js', b: 'transformers-system.js', c: 'session-system.js' };

export type Job = SharedJob<ChildConfig>;

export async function runSystem(cfg: ChildConfig, args: BenchArgs): Promise<Measured> {
  return runChildScript(new URL(`./${SCRIPTS[cfg.system]}`, import.meta.url).pathname, cfg, NAMES[cfg.system], { ...args, cwd: REPO_ROOT });
}

/** Every job `repeat` times, interleaved; see src/bench/measure.ts. */
export function measureInterleaved(args: BenchArgs, jobs: Job[]): ReturnType<typeof measureJobs<ChildConfig>> {
  return measureJobs(args, jobs, (cfg) => runSystem(cfg, args));
}
