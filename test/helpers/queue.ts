import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { CLI, ROOT, runCli, type CliResult } from './cli.js';

/**
 * Queue tests run against a real Redis: `.ci/run` starts one and sets REDIS_URL, and the
 * global setup starts one where `redis-server` is installed. On a machine with neither,
 * they are skipped (visibly) so the README's `npm test` holds on a fresh clone, except
 * where ALBERT_REQUIRE_REDIS=1 (CI sets it): there a missing Redis fails the suite.
 */
export function redisUrlForTests(): string | null {
  const url = process.env.REDIS_URL;
  if (url) return url;
  if (process.env.ALBERT_REQUIRE_REDIS !== '1' || process.env.ALBERT_SKIP_REDIS_TESTS === '1') return null;
  throw new Error('REDIS_URL is not set: the queue-mode tests need a real Redis (.ci/run starts one). Start redis-server and set REDIS_URL=redis://127.0.0.1:PORT, or unset ALBERT_REQUIRE_REDIS to let them skip.');
}

let counter = 0;
/** A queue name no other test (or earlier run) uses. */
export function freshQueue(tag: string): string {
  return `t-${tag}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** The same Redis, another database (so a test can FLUSHDB without touching the others). */
export function redisDb(url: string, db: number): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export async function dropQueue(redis: string, queue: string): Promise<void> {
  const connection = new Redis(redis, { maxRetriesPerRequest: null });
  const q = new Queue(queue, { connection, prefix: 'albert' });
  try {
    await q.obliterate({ force: true });
  } finally {
    await q.close();
    await connection.quit();
  }
}

export interface WorkerProcess {
  child: ChildProcessWithoutNullStreams;
  /** Everything it wrote to stderr so far. */
  log(): string;
  exited: Promise<CliResult>;
}

/** Starts `albert worker` as its own process (so a test can kill -9 it). */
export function startWorker(args: string[], env: NodeJS.ProcessEnv = {}): WorkerProcess {
  const child = spawn(process.execPath, [CLI, 'worker', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, log: () => stderr, exited };
}

/** Polls `check` until it returns a value (not undefined/false), or fails naming `what`. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function statusJson(redis: string, queue: string, run: string, extra: string[] = []): Promise<Record<string, any>> {
  const r = await runCli(['status', '--redis', redis, '--queue', queue, '--run', run, '--json', ...extra]);
  if (r.code !== 0) throw new Error(`albert status failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The shard.json a committed shard wrote (who committed it, when), or null. */
export function shardRecord(out: string, id: string): Record<string, any> | null {
  const file = join(out, 'shards', id, 'shard.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}
