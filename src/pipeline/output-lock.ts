import { lstat, lutimes, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { OutputError } from '../errors.js';
import { createFileOnce, readTextNoFollow } from '../io/durable-file.js';
import { isPid, pidAlive, removeDeadLockTemps } from './lock-leftovers.js';
import { toOutputError } from '../io/output-errors.js';

/**
 * One writer per output directory. Two jobs writing the same `--out` would interleave parts
 * and overwrite each other's manifest, so a job takes `OUT/albert.lock` first. The lock is
 * created with `link()` (atomic even on NFS, where O_EXCL once was not) and names its holder,
 * so the second job can say who is in the way, and a lock left by a job that died is broken
 * instead of blocking the directory forever.
 *
 * Breaking is the delicate part: "unlink it if it is still the stale lock" is not atomic, so
 * two jobs that both judged the same lock stale could have the second delete the lock the
 * first just took. Breakers therefore take `albert.lock.break` (same link() create) and
 * re-check the lock under it; creating the lock itself needs no mutex, since link() never
 * replaces a file.
 */

export const LOCK_FILE = 'albert.lock';
const BREAK_FILE = `${LOCK_FILE}.break`;

/** What `albert.lock` holds: enough to find the job, and to judge whether it still runs. */
export interface LockHolder {
  pid: number;
  host: string;
  started_at: string;
  command: string;
}

export interface OutputLockOptions {
  /** A lock on another host whose mtime is older than this is stale (default 10 min). */
  staleMs?: number;
  /** Recorded in the lock for the next job's message (default: this process's argv). */
  command?: string;
  /** Where the note about a broken stale lock goes (default: nowhere). */
  log?: (line: string) => void;
}

export interface OutputLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Stops the heartbeat and removes the lock if it is still ours; safe to call twice. */
  release(): Promise<void>;
}

const DEFAULT_STALE_MS = 10 * 60_000;
// Each retry means the lock changed hands under us; more than a few means a fight, not a race.
const MAX_ATTEMPTS = 5;

// Lock texts this process holds: a lock naming our own pid that is not among them was left
// by an earlier process that had our pid (a container restart), so it is stale.
const heldHere = new Map<string, number>();

/**
 * Takes the lock on `dir` (which must exist), breaking a stale one, or throws OutputError
 * `ALB_OUTPUT_LOCKED` naming the job that holds it. While held, the lock's mtime is
 * refreshed every `staleMs / 4` so that a job on another host never looks stale.
 *
 * @example
 * ```ts
 * const lock = await acquireOutputLock('out', { log: (line) => console.error(line) });
 * try { await runJob(); } finally { await lock.release(); }
 * ```
 */
export async function acquireOutputLock(dir: string, opts: OutputLockOptions = {}): Promise<OutputLock> {
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  const path = join(dir, LOCK_FILE);
  const holder: LockHolder = { pid: process.pid, host: hostname(), started_at: new Date().toISOString(), command: opts.command ?? defaultCommand() };
  const text = `${JSON.stringify(holder)}\n`;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (await createOnce(path, text, dir)) {
      await removeDeadLockTemps(dir, LOCK_FILE);
      return holdLock(path, holder, text, staleMs);
    }
    const seen = await inspectLock(path);
    if (seen === null) continue; // released between our link() and our look: try again
    const reason = judge(seen, staleMs);
    if (reason === null) throw lockedError(dir, path, seen, 'is in use by another job');
    await breakStaleLock(dir, path, seen, text, staleMs, () => opts.log?.(`albert: broke a stale lock on ${dir} (${describeHolder(seen)}: ${reason})\n`));
  }
  throw new OutputError(
    'ALB_OUTPUT_LOCKED',
    `--out ${dir} is in use: its lock changed hands ${MAX_ATTEMPTS} times while we tried to take it; another job is starting there, use another --out`,
    { out: dir, holder: null },
  );
}

/**
 * Runs `fn` holding the lock on `dir`, and releases it however `fn` ends.
 *
 * @example
 * ```ts
 * const summary = await withOutputLock('out', { log: console.error }, () => runJob(options));
 * ```
 */
export async function withOutputLock<T>(dir: string, opts: OutputLockOptions | undefined, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireOutputLock(dir, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/**
 * Why a lock is stale, or `null` while its holder may still be running. On this host the
 * pid tells (a pid reused by another live process counts as alive: waiting is the safe
 * mistake); on another host only the heartbeat's mtime can.
 *
 * @example
 * ```ts
 * staleReason({ pid: 999999, host: os.hostname(), started_at, command }, mtime, Date.now(), 600_000);
 * // 'process 999999 is not running'
 * ```
 */
export function staleReason(holder: LockHolder, mtimeMs: number, now: number, staleMs: number): string | null {
  if (holder.host === hostname() && isPid(holder.pid)) return pidAlive(holder.pid) ? null : `process ${holder.pid} is not running`;
  const age = now - mtimeMs;
  if (age <= staleMs) return null;
  return `its lock was last refreshed ${formatAge(age)} ago, more than ${formatAge(staleMs)}`;
}

/**
 * Who holds the lock on `dir`, for `albert verify` and status: `null` when nobody does (or
 * the lock file is unreadable). A symlink at the lock's place is OutputError `ALB_OUTPUT_SYMLINK`.
 *
 * @example
 * ```ts
 * const holder = await readLockHolder('out');
 * if (holder) console.log(`in use by pid ${holder.pid} on ${holder.host}`);
 * ```
 */
export async function readLockHolder(dir: string): Promise<LockHolder | null> {
  return (await inspectLock(join(dir, LOCK_FILE)))?.holder ?? null;
}

interface SeenLock {
  text: string;
  holder: LockHolder | null;
  mtimeMs: number;
}

/**
 * Under the break mutex, removes the lock at `path` if it still reads what was judged stale
 * (else someone broke and re-took it meanwhile). Whatever happens, the caller tries again.
 */
async function breakStaleLock(dir: string, path: string, seen: SeenLock, text: string, staleMs: number, noteBroken: () => void): Promise<void> {
  const breakPath = join(dir, BREAK_FILE);
  if (!(await createOnce(breakPath, text, dir))) {
    const other = await inspectLock(breakPath);
    if (other === null) return;
    if (judge(other, staleMs) === null) throw lockedError(dir, breakPath, other, 'is being taken over by another job');
    // A breaker died within its few milliseconds under the mutex: rare enough to clear plainly.
    await removeIfUnchanged(breakPath, other.text);
    return;
  }
  markHeld(text, 1); // so that a second acquire in this process does not judge our mutex stale
  try {
    if (await removeIfUnchanged(path, seen.text)) noteBroken();
  } finally {
    markHeld(text, -1);
    await removeIfUnchanged(breakPath, text);
  }
}

function holdLock(path: string, holder: LockHolder, text: string, staleMs: number): OutputLock {
  markHeld(text, 1);
  const timer = setInterval(() => {
    const now = new Date();
    // lutimes: never touch whatever a symlink planted here points to. A failed beat only
    // brings staleness nearer; the next beat tries again.
    lutimes(path, now, now).catch(() => undefined);
  }, Math.max(1, Math.floor(staleMs / 4)));
  timer.unref();
  let released = false;
  return {
    path,
    holder,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      markHeld(text, -1);
      await removeIfUnchanged(path, text);
    },
  };
}

/** The lock file's text, parsed holder and mtime; `null` when there is none. */
async function inspectLock(path: string): Promise<SeenLock | null> {
  try {
    const st = await lstat(path);
    if (st.isSymbolicLink()) throw symlinkError(path);
    const text = await readTextNoFollow(path);
    return text === null ? null : { text, holder: parseHolder(text), mtimeMs: st.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw symlinkError(path);
    throw toOutputError(err, path);
  }
}

/**
 * Unlinks `path` if it still reads `expected`. Not atomic; callers make it safe: the owner
 * removing its own live lock (nobody breaks a live lock), or a breaker under the mutex.
 */
async function removeIfUnchanged(path: string, expected: string): Promise<boolean> {
  if ((await readTextNoFollow(path).catch(() => null)) !== expected) return false;
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw toOutputError(err, path);
  }
}

async function createOnce(path: string, text: string, dir: string): Promise<boolean> {
  try {
    return await createFileOnce(path, text);
  } catch (err) {
    throw toOutputError(err, dir);
  }
}

function markHeld(text: string, delta: 1 | -1): void {
  const count = (heldHere.get(text) ?? 0) + delta;
  if (count > 0) heldHere.set(text, count);
  else heldHere.delete(text);
}

function judge(seen: SeenLock, staleMs: number): string | null {
  return seen.holder ? judgeHolder(seen.holder, seen.text, seen.mtimeMs, staleMs) : judgeUnreadable(seen.mtimeMs, staleMs);
}

function judgeHolder(holder: LockHolder, text: string, mtimeMs: number, staleMs: number): string | null {
  if (holder.host === hostname() && holder.pid === process.pid) {
    return heldHere.has(text) ? null : `process ${holder.pid} is this process, which does not hold it (an earlier process had the same pid)`;
  }
  return staleReason(holder, mtimeMs, Date.now(), staleMs);
}

// link() only ever publishes a complete file, so an unparseable one is damaged, not half
// written; with no pid to check, only its age can tell that nobody is using it.
function judgeUnreadable(mtimeMs: number, staleMs: number): string | null {
  const age = Date.now() - mtimeMs;
  return age > staleMs ? `the lock file is unreadable and was last touched ${formatAge(age)} ago, more than ${formatAge(staleMs)}` : null;
}

function lockedError(dir: string, path: string, seen: SeenLock, what: string): OutputError {
  const advice = 'wait for it to finish, or use another --out (a lock left by a job that died is broken automatically)';
  if (seen.holder === null) {
    const age = Date.now() - seen.mtimeMs;
    return new OutputError(
      'ALB_OUTPUT_LOCKED',
      `--out ${dir} ${what.replace(/^is /, 'may be ')}: its lock file ${path} is unreadable (last touched ${formatAge(age)} ago); ${advice}, or remove ${path} if no job uses ${dir}`,
      { out: dir, holder: null, lock: path, age_ms: Math.max(0, Math.round(age)) },
    );
  }
  return new OutputError('ALB_OUTPUT_LOCKED', `--out ${dir} ${what}: ${describeHolder(seen)}; ${advice}`, { out: dir, holder: seen.holder });
}

function describeHolder(seen: SeenLock): string {
  const h = seen.holder;
  if (h === null) return 'unreadable lock file';
  const started = Date.parse(h.started_at);
  const ago = Number.isFinite(started) ? ` (${formatAge(Date.now() - started)} ago)` : '';
  return `pid ${h.pid} on host ${h.host}, started ${h.started_at}${ago}, command ${JSON.stringify(h.command)}`;
}

function parseHolder(text: string): LockHolder | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const { pid, host, started_at, command } = v as Record<string, unknown>;
  if (!isPid(pid) || typeof host !== 'string' || host === '' || typeof started_at !== 'string' || typeof command !== 'string') return null;
  return { pid, host, started_at, command };
}

function symlinkError(path: string): OutputError {
  return new OutputError('ALB_OUTPUT_SYMLINK', `${path} is a symlink; refusing to follow it (remove it)`, { out: path });
}

function defaultCommand(): string {
  const [script, ...args] = process.argv.slice(1);
  return script === undefined ? basename(process.execPath) : [basename(script), ...args].join(' ');
}

function formatAge(ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1).replace(/\.0$/, '')} s`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}
