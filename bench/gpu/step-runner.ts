/**
 * One step of the device run: a child process with its own time limit. On expiry (or when
 * the run itself is stopped) the child and every process it started get SIGTERM, which
 * `albert embed` answers by committing what it finished, then SIGKILL after a grace period,
 * so a hung CUDA call cannot hold the run. Output goes to the run log as it comes.
 *
 * The tree is found through /proc rather than by starting the child in a process group of
 * its own: `detached` means setsid, and on the lent machine a process in a session of its
 * own outlives the command (holding the GPU) if this run is itself killed.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import type { RunLog } from './run-log.js';

export type StepStatus = 'ok' | 'failed' | 'timed_out' | 'killed' | 'skipped';

/** What gpu-run.json records of a step. */
export interface StepRecord {
  name: string;
  status: StepStatus;
  seconds: number;
  /** The limit it ran under (its own, cut to what was left of the budget). */
  timeout_s: number;
  exit_code: number | null;
  signal: string | null;
  error: string | null;
}

export interface StepResult extends StepRecord {
  stdout: string;
  /** The last lines of stderr (the CLI's summary line, or its error). */
  stderrTail: string;
}

export interface StepOptions {
  cwd: string;
  timeoutS: number;
  log: RunLog;
  /** Aborting it stops the step like an expiry, as 'killed'. */
  signal?: AbortSignal;
  /** Also echo the child's stderr here (progress on the console). */
  echo?: NodeJS.WritableStream;
  /** Between SIGTERM and SIGKILL. */
  graceMs?: number;
}

/** stdout is parsed (JSON) by the caller: more than this is not what any step prints. */
const STDOUT_MAX = 8 * 2 ** 20;
const STDERR_TAIL = 4096;

/** The processes `root` started, children and theirs (Linux /proc; elsewhere none, and only the child itself is signalled). */
export function descendants(root: number): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${n}/stat`, 'utf8');
    } catch {
      continue; // gone since the listing
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(n));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      found.push(c);
      queue.push(c);
    }
  }
  return found;
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

function signalAll(pids: Iterable<number>, sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/**
 * Runs `cmd args` to its end or its limit; never throws for the child's sake (a spawn error,
 * a non-zero exit, a timeout are all in the result's status), so the caller records every
 * step and decides what still makes sense to run.
 */
export function runStep(name: string, cmd: string, args: readonly string[], o: StepOptions): Promise<StepResult> {
  const t0 = performance.now();
  const shown = [cmd, ...args].map((a) => (/^[\w./:=,+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  o.log.beginStep(`\n=== ${name} (limit ${o.timeoutS.toFixed(0)} s) $ ${shown}`);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderrTail = '';
    let stopped: 'timed_out' | 'killed' | null = null;
    let spawnError: Error | null = null;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    const timers: NodeJS.Timeout[] = [];

    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < STDOUT_MAX) stdout += d.toString();
      o.log.output(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderrTail = (stderrTail + d.toString()).slice(-STDERR_TAIL);
      o.log.output(d);
      o.echo?.write(d);
    });

    const stop = (why: 'timed_out' | 'killed'): void => {
      if (stopped || exit || child.pid === undefined) return;
      stopped = why;
      o.log.line(`\n=== ${name}: ${why === 'timed_out' ? `no end after ${o.timeoutS.toFixed(0)} s` : 'the run is stopping'}: SIGTERM to it and what it started`);
      // Snapshot the tree before any of it dies: an orphan would be re-parented out of reach.
      const tree = new Set([...descendants(child.pid), child.pid]);
      signalAll(tree, 'SIGTERM');
      timers.push(setTimeout(() => {
        if (child.pid === undefined) return;
        for (const p of descendants(child.pid)) tree.add(p);
        o.log.line(`=== ${name}: still there after SIGTERM: SIGKILL`);
        signalAll(tree, 'SIGKILL');
      }, o.graceMs ?? 5000));
    };
    timers.push(setTimeout(() => stop('timed_out'), Math.max(0, o.timeoutS * 1000)));
    const onAbort = (): void => stop('killed');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) onAbort();

    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      o.signal?.removeEventListener('abort', onAbort);
      const seconds = (performance.now() - t0) / 1000;
      const code = exit?.code ?? null;
      const status = stopped ?? (spawnError || code !== 0 ? 'failed' : 'ok');
      const error = stopped === 'timed_out' ? `no end within its limit of ${o.timeoutS.toFixed(0)} s`
        : stopped === 'killed' ? 'stopped with the run'
        : spawnError ? `could not start: ${spawnError.message}`
        : code !== 0 ? `exited with ${code ?? exit?.signal}: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}`
        : null;
      o.log.endStep(`=== ${name}: ${status} in ${seconds.toFixed(1)} s${error ? ` (${error})` : ''}`);
      resolve({ name, status, seconds: round(seconds, 2), timeout_s: round(o.timeoutS, 1), exit_code: code, signal: exit?.signal ?? null, error, stdout, stderrTail });
    };
    child.on('error', (err) => {
      spawnError = err;
      finish();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // 'close' waits for the pipes, which a grandchild that got away may hold open.
      timers.push(setTimeout(finish, 2000));
    });
    child.on('close', finish);
  });
}
