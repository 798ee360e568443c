import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlbertError } from '../../src/errors.js';
import { LOCK_FILE, acquireOutputLock, readLockHolder, staleReason, withOutputLock, type LockHolder } from '../../src/pipeline/output-lock.js';
import { transpileForChild } from '../helpers/transpile-for-child.js';

const root = mkdtempSync(join(tmpdir(), 'albert-output-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function freshDir(): string {
  const dir = join(root, `case-${n++}`);
  mkdirSync(dir);
  return dir;
}

const listing = (dir: string): string[] => readdirSync(dir).sort();
const lockPath = (dir: string): string => join(dir, LOCK_FILE);

function writeLock(dir: string, holder: Partial<LockHolder> | string, ageMs = 0): void {
  writeFileSync(lockPath(dir), typeof holder === 'string' ? holder : JSON.stringify(holder));
  if (ageMs > 0) {
    const then = new Date(Date.now() - ageMs);
    utimesSync(lockPath(dir), then, then);
  }
}

/** The code of what `p` rejects with, failing the test if it resolves. */
async function rejection(p: Promise<unknown>): Promise<AlbertError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AlbertError);
    return err as AlbertError;
  }
  throw new Error('expected a rejection');
}

/** The pid of a process that has exited (and, this soon, not been reused). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid as number;
}

const holder = (over: Partial<LockHolder> = {}): LockHolder => ({
  pid: process.pid,
  host: hostname(),
  started_at: new Date().toISOString(),
  command: 'albert embed docs.csv --out x',
  ...over,
});

describe('acquireOutputLock', () => {
  it('writes the holder and leaves nothing behind after release', async () => {
    const dir = freshDir();
    const lock = await acquireOutputLock(dir, { command: 'albert embed docs.csv' });
    expect(listing(dir)).toEqual([LOCK_FILE]);
    expect(JSON.parse(readFileSync(lockPath(dir), 'utf8'))).toEqual(lock.holder);
    expect(lock.holder).toMatchObject({ pid: process.pid, host: hostname(), command: 'albert embed docs.csv' });
    expect(await readLockHolder(dir)).toEqual(lock.holder);
    await lock.release();
    await lock.release(); // idempotent
    expect(listing(dir)).toEqual([]);
    expect(await readLockHolder(dir)).toBeNull();
  });

  it('refuses a second writer, naming the holder', async () => {
    const dir = freshDir();
    const lock = await acquireOutputLock(dir, { command: 'albert embed docs.csv --out somewhere' });
    const err = await rejection(acquireOutputLock(dir));
    expect(err.code).toBe('ALB_OUTPUT_LOCKED');
    expect(err.message).toContain(`pid ${process.pid}`);
    expect(err.message).toContain(`host ${hostname()}`);
    expect(err.message).toContain('"albert embed docs.csv --out somewhere"');
    expect(err.message).toContain(`--out ${dir}`);
    expect(err.details).toMatchObject({ out: dir, holder: lock.holder });
    expect(listing(dir)).toEqual([LOCK_FILE]); // no temp file left by the loser
    await lock.release();
    expect(listing(dir)).toEqual([]);
  });

  it('releases in withOutputLock however fn ends', async () => {
    const dir = freshDir();
    expect(await withOutputLock(dir, undefined, async () => listing(dir))).toEqual([LOCK_FILE]);
    await expect(withOutputLock(dir, {}, async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(listing(dir)).toEqual([]);
  });

  it('breaks a lock left by a dead process on this host, and says so', async () => {
    const dir = freshDir();
    const pid = await deadPid();
    writeLock(dir, holder({ pid, command: 'albert embed old.csv' }));
    const lines: string[] = [];
    const lock = await acquireOutputLock(dir, { log: (line) => lines.push(line) });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`broke a stale lock on ${dir}`);
    expect(lines[0]).toContain(`pid ${pid}`);
    expect(lines[0]).toContain(`process ${pid} is not running`);
    expect(lock.holder.pid).toBe(process.pid);
    await lock.release();
    expect(listing(dir)).toEqual([]);
  });

  it('clears a break mutex left by a breaker that died, then breaks the stale lock', async () => {
    const dir = freshDir();
    writeLock(dir, holder({ pid: await deadPid() }));
    writeFileSync(join(dir, `${LOCK_FILE}.break`), JSON.stringify(holder({ pid: await deadPid() })));
    const lock = await acquireOutputLock(dir);
    expect(listing(dir)).toEqual([LOCK_FILE]);
    await lock.release();
  });

  it('refuses while a live job holds the break mutex', async () => {
    const dir = freshDir();
    writeLock(dir, holder({ pid: await deadPid() }));
    writeFileSync(join(dir, `${LOCK_FILE}.break`), JSON.stringify(holder({ pid: 4242, host: 'other-host.invalid' })));
    const err = await rejection(acquireOutputLock(dir));
    expect(err.code).toBe('ALB_OUTPUT_LOCKED');
    expect(err.message).toContain('being taken over by another job: pid 4242 on host other-host.invalid');
  });

  it('breaks a lock naming our own pid that this process does not hold', async () => {
    const dir = freshDir();
    writeLock(dir, holder({ started_at: '2020-01-01T00:00:00.000Z' }));
    const lines: string[] = [];
    const lock = await acquireOutputLock(dir, { log: (line) => lines.push(line) });
    expect(lines[0]).toContain('is this process');
    await lock.release();
  });

  it('judges a lock from another host by its mtime', async () => {
    const dir = freshDir();
    writeLock(dir, holder({ pid: 4242, host: 'other-host.invalid' }));
    const err = await rejection(acquireOutputLock(dir, { staleMs: 2000 }));
    expect(err.code).toBe('ALB_OUTPUT_LOCKED');
    expect(err.message).toContain('pid 4242 on host other-host.invalid');
    const then = new Date(Date.now() - 60_000);
    utimesSync(lockPath(dir), then, then);
    const lines: string[] = [];
    const lock = await acquireOutputLock(dir, { staleMs: 2000, log: (line) => lines.push(line) });
    expect(lines[0]).toContain('pid 4242 on host other-host.invalid');
    expect(lines[0]).toContain('last refreshed');
    await lock.release();
    expect(listing(dir)).toEqual([]);
  });

  it.each([['garbage', 'not json {'], ['empty', ''], ['wrong shape', '{"pid":0,"host":"h"}']])('treats a %s lock file as held until it is old', async (_name, text) => {
    const dir = freshDir();
    writeLock(dir, text);
    const err = await rejection(acquireOutputLock(dir, { staleMs: 2000 }));
    expect(err.code).toBe('ALB_OUTPUT_LOCKED');
    expect(err.message).toContain('unreadable');
    expect(err.message).toMatch(/last touched [\d.]+ s ago/);
    expect(await readLockHolder(dir)).toBeNull();
    writeLock(dir, text, 60_000);
    const lines: string[] = [];
    const lock = await acquireOutputLock(dir, { staleMs: 2000, log: (line) => lines.push(line) });
    expect(lines[0]).toContain('unreadable');
    await lock.release();
    expect(listing(dir)).toEqual([]);
  });

  it('refreshes the lock file mtime while held', async () => {
    const dir = freshDir();
    const lock = await acquireOutputLock(dir, { staleMs: 400 });
    // Backdating makes "it advanced" independent of the filesystem's mtime resolution.
    const then = new Date(Date.now() - 60_000);
    utimesSync(lockPath(dir), then, then);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(statSync(lockPath(dir)).mtimeMs).toBeGreaterThan(then.getTime() + 30_000);
    await lock.release();
  });

  it('does not remove a lock that is no longer ours', async () => {
    const dir = freshDir();
    const lock = await acquireOutputLock(dir);
    const other = JSON.stringify(holder({ pid: 4242, host: 'other-host.invalid' }));
    writeFileSync(lockPath(dir), other);
    await lock.release();
    expect(listing(dir)).toEqual([LOCK_FILE]);
    expect(readFileSync(lockPath(dir), 'utf8')).toBe(other);
    rmSync(lockPath(dir));
    const again = await acquireOutputLock(dir);
    rmSync(lockPath(dir));
    await again.release(); // ENOENT is fine
  });

  it('refuses a symlink at the lock path and leaves its target alone', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'target'), 'keep');
    symlinkSync(join(dir, 'target'), lockPath(dir));
    const err = await rejection(acquireOutputLock(dir));
    expect(err.code).toBe('ALB_OUTPUT_SYMLINK');
    expect((await rejection(readLockHolder(dir))).code).toBe('ALB_OUTPUT_SYMLINK');
    expect(readFileSync(join(dir, 'target'), 'utf8')).toBe('keep');
    rmSync(lockPath(dir));
    symlinkSync(join(dir, 'nowhere'), lockPath(dir)); // dangling
    expect((await rejection(acquireOutputLock(dir))).code).toBe('ALB_OUTPUT_SYMLINK');
    expect(listing(dir)).toEqual([LOCK_FILE, 'target']);
  });
});

describe('staleReason', () => {
  const now = Date.now();
  const host = hostname();

  it('on this host, follows the pid and ignores the mtime', async () => {
    const pid = await deadPid();
    expect(staleReason(holder({ pid }), now, now, 60_000)).toBe(`process ${pid} is not running`);
    expect(staleReason(holder({ pid: process.pid }), now - 3_600_000, now, 60_000)).toBeNull();
    // pid 1 is alive; EPERM (not root) must count as alive too.
    expect(staleReason(holder({ pid: 1, host }), now - 3_600_000, now, 60_000)).toBeNull();
  });

  it('on another host, follows the mtime', () => {
    const h = holder({ pid: 1, host: 'other-host.invalid' });
    expect(staleReason(h, now - 1000, now, 60_000)).toBeNull();
    expect(staleReason(h, now + 5000, now, 60_000)).toBeNull(); // clock skew: not stale
    expect(staleReason(h, now - 61_000, now, 60_000)).toMatch(/last refreshed 61 s ago, more than 60 s/);
    expect(staleReason(h, now - 3 * 3_600_000, now, 600_000)).toMatch(/3 h ago, more than 10 min/);
  });
});

describe('acquireOutputLock across processes', () => {
  let entry: string;
  beforeAll(async () => {
    entry = pathToFileURL(await transpileForChild('src/pipeline/output-lock.ts', join(root, 'child'))).href;
  });

  // Each child waits for "go" so that all try at once, prints OK or its error code, and the
  // winner holds the lock until stdin closes, which the test does only after every child has
  // answered: the overlap is guaranteed, not timed.
  const script = (url: string): string => `
    import { acquireOutputLock } from ${JSON.stringify(url)};
    import { createInterface } from 'node:readline';
    const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
    console.log('ready');
    await lines.next();
    try {
      const lock = await acquireOutputLock(process.argv[1]);
      console.log('OK');
      while (!(await lines.next()).done);
      await lock.release();
    } catch (err) {
      console.log(err.code ?? String(err));
    }
    process.exit(0);
  `;

  function start(dir: string): { child: ChildProcessWithoutNullStreams; next: () => Promise<string>; exited: Promise<unknown> } {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script(entry), dir]);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    const it = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    return { child, next: async () => String((await it.next()).value), exited };
  }

  it('lets exactly one of several racing processes take the lock, 10 rounds', async () => {
    const dead = await deadPid();
    for (let round = 0; round < 10; round++) {
      const dir = freshDir();
      // Odd rounds race to break a dead job's lock as well: still only one may win.
      if (round % 2 === 1) writeLock(dir, holder({ pid: dead }));
      const kids = Array.from({ length: 2 + (round % 3) }, () => start(dir));
      expect(await Promise.all(kids.map((k) => k.next()))).toEqual(kids.map(() => 'ready'));
      for (const k of kids) k.child.stdin.write('go\n');
      const results = await Promise.all(kids.map((k) => k.next()));
      for (const k of kids) k.child.stdin.end();
      await Promise.all(kids.map((k) => k.exited));
      expect(results.filter((r) => r === 'OK')).toHaveLength(1);
      expect(results.filter((r) => r !== 'OK')).toEqual(kids.slice(1).map(() => 'ALB_OUTPUT_LOCKED'));
      expect(listing(dir)).toEqual([]);
    }
  });
});
