import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The queue-mode tests need a real Redis. `.ci/run` starts one and sets REDIS_URL; on a
 * developer's machine with `redis-server` installed but no REDIS_URL, start a private one
 * here (no persistence, noeviction, loopback) so `npm test` is the whole story.
 */
let stop: (() => void) | null = null;

export async function setup(): Promise<void> {
  if (process.env.REDIS_URL) return;
  if (spawnSync('redis-server', ['--version']).status !== 0) return;
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'albert-redis-'));
  execFileSync('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--daemonize', 'yes', '--pidfile', join(dir, 'redis.pid'), '--dir', dir, '--logfile', join(dir, 'redis.log')]);
  for (let i = 0; i < 50 && spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString().trim() !== 'PONG'; i++) await new Promise((r) => setTimeout(r, 100));
  process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
  stop = () => {
    // SHUTDOWN waits for Redis to exit, so the folder is no longer written to when removed.
    spawnSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave']);
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  };
}

export async function teardown(): Promise<void> {
  stop?.();
}
