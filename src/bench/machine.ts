/**
 * What the figures were measured on, and how busy the machine was: /proc/stat counts every
 * process on the (virtual) machine, including ones in other containers that `ps` cannot
 * see, so "foreign CPU" = busy CPU time over a run minus the CPU time of our own child.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, totalmem, release, platform, arch } from 'node:os';
import { join } from 'node:path';
import { packageInfo } from '../io/package-root.js';

export interface MachineInfo {
  cpu_model: string;
  cores: number;
  memory_gib: number;
  os: string;
  node: string;
  onnxruntime_node: string | null;
  albert_pipeline: string | null;
  git_commit: string | null;
}

/** An installed package's version, as resolved from `from` (default: this package's root). */
export function pkgVersion(name: string, from = packageInfo().root): string | null {
  try {
    const require = createRequire(join(from, 'package.json'));
    // Not `require.resolve(name + '/package.json')`: some packages do not export it.
    let dir = require.resolve(name);
    for (;;) {
      const next = join(dir, '..');
      if (existsSync(join(next, 'package.json'))) {
        const pkg = JSON.parse(readFileSync(join(next, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name) return pkg.version ?? null;
      }
      if (next === dir) return null;
      dir = next;
    }
  } catch {
    return null;
  }
}

/** What the figures were measured on (the git commit when this is a checkout). */
export function machineInfo(): MachineInfo {
  const root = packageInfo().root;
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    commit = null;
  }
  return {
    cpu_model: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    onnxruntime_node: pkgVersion('onnxruntime-node'),
    albert_pipeline: packageInfo().version,
    git_commit: commit,
  };
}

/** CPU time (seconds) all processes spent busy, from /proc/stat; null off Linux. */
export function busyCpuSeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
    return busy / 100; // USER_HZ
  } catch {
    return null;
  }
}

export interface QuietSample {
  at: string;
  loadavg_1m: number;
  /** Cores kept busy by other processes over the sample window. */
  busy_cores: number | null;
}

/** How busy the machine is over `ms` (nothing of ours runs meanwhile). */
export async function sampleQuiet(ms = 3000): Promise<QuietSample> {
  const b0 = busyCpuSeconds();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const b1 = busyCpuSeconds();
  const own = (process.cpuUsage(c0).user + process.cpuUsage(c0).system) / 1e6;
  const wall = (performance.now() - t0) / 1000;
  return {
    at: new Date().toISOString(),
    loadavg_1m: round(loadavg()[0], 2),
    busy_cores: b0 === null || b1 === null ? null : round(Math.max(0, b1 - b0 - own) / wall, 2),
  };
}

/** Waits (up to `maxS` seconds) until other processes keep fewer than `cores` cores busy. */
export async function waitForQuiet(maxS: number, cores: number, log: (s: string) => void): Promise<{ sample: QuietSample; waited_s: number }> {
  const start = performance.now();
  let sample = await sampleQuiet();
  while (maxS > 0 && sample.busy_cores !== null && sample.busy_cores > cores && (performance.now() - start) / 1000 < maxS) {
    log(`machine busy (${sample.busy_cores} cores used by others, load ${sample.loadavg_1m}); waiting…`);
    await new Promise((r) => setTimeout(r, 10_000));
    sample = await sampleQuiet();
  }
  return { sample, waited_s: round((performance.now() - start) / 1000, 1) };
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
