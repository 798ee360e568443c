/**
 * The bookkeeping of one prepared device run: the budget every step's limit is cut to, the
 * record every step's outcome goes into, saved after each step, and the run log. A step
 * that is not run (the budget is spent, what it needs failed) is recorded as skipped with
 * its reason, so gpu-run.json lists every step the run meant to take.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../bench-args.js';
import { GpuRunError, type GpuRunErrorCode } from './gpu-run-error.js';
import { newRecord, saveRecord, type GpuRunRecord } from './run-record.js';
import { RunLog } from './run-log.js';
import { stepCapS, type GpuRunSettings, type StepKind } from './settings.js';
import { runStep, type StepRecord, type StepResult } from './step-runner.js';

/** A step is not started with less than this left of the budget: it could not finish. */
const MIN_STEP_S = 5;

export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

export class DeviceRun {
  readonly record: GpuRunRecord;
  readonly log: RunLog;
  /** Aborted on SIGTERM/SIGINT: the step running is stopped, no other starts. */
  readonly stopping = new AbortController();
  private readonly t0 = performance.now();

  constructor(
    readonly s: GpuRunSettings,
    /** The variants the table has a row for. */
    readonly variants: readonly string[],
  ) {
    mkdirSync(s.out, { recursive: true });
    mkdirSync(s.work, { recursive: true });
    this.record = newRecord(s);
    this.log = new RunLog(join(s.out, 'run.log'));
    this.save();
  }

  /** Seconds since the run started. */
  get elapsedS(): number {
    return (performance.now() - this.t0) / 1000;
  }

  get remainingS(): number {
    return this.s.budgetS - this.elapsedS;
  }

  say(text: string): void {
    const line = `gpu-run [${this.elapsedS.toFixed(0)}s]: ${text}`;
    process.stderr.write(`${line}\n`);
    this.log.line(line);
  }

  save(): void {
    saveRecord(this.record, this.variants, this.t0);
  }

  /** Marks a recorded step failed after the fact (its output was not what it promises); the run's error is the first such. */
  fail(step: StepRecord, code: GpuRunErrorCode, message: string): void {
    // A step stopped at its limit stays 'timed_out': that is the first thing wrong with it.
    if (step.status === 'ok') step.status = 'failed';
    step.error = step.error ? `${step.error}; ${message}` : message;
    this.record.error ??= { code, message: `${step.name}: ${message}` };
    this.say(`${step.name}: FAILED: ${message}`);
    this.save();
  }

  skip(name: string, why: string): null {
    this.say(`${name}: skipped: ${why}`);
    this.record.steps.push({ name, status: 'skipped', seconds: 0, timeout_s: 0, exit_code: null, signal: null, error: why });
    this.record.error ??= { code: 'GPU_RUN_STEP', message: `${name}: skipped: ${why}` };
    this.save();
    return null;
  }

  /**
   * Runs one step under min(its own limit, what is left of the budget) and records it. Null
   * when it was skipped; otherwise the result, whatever its status.
   */
  async step(name: string, kind: StepKind, cmd: string, args: readonly string[], skipBecause: string | null = null): Promise<StepResult | null> {
    if (this.stopping.signal.aborted) throw new GpuRunError('GPU_RUN_SIGNAL', `stopped by a signal before ${name}`);
    if (skipBecause) return this.skip(name, skipBecause);
    const left = this.remainingS;
    if (left < MIN_STEP_S) return this.skip(name, `${Math.max(0, left).toFixed(1)} s left of the budget of ${this.s.budgetS} s, under the ${MIN_STEP_S} s a step gets at least`);
    const timeoutS = Math.min(stepCapS(this.s, kind), left);
    this.say(`${name}: ${cmd === process.execPath ? 'albert' : cmd} ${args.filter((a) => a !== CLI).join(' ')} (limit ${timeoutS.toFixed(0)} s)`);
    const r = await runStep(name, cmd, args, { cwd: REPO_ROOT, timeoutS, log: this.log, signal: this.stopping.signal, echo: process.stderr });
    const { stdout: _o, stderrTail: _e, ...step } = r;
    this.record.steps.push(step);
    if (r.status !== 'ok') {
      this.record.error ??= { code: 'GPU_RUN_STEP', message: `${name}: ${r.status}: ${r.error}` };
      this.say(`${name}: ${r.status.toUpperCase()}: ${r.error}`);
    }
    this.save();
    return r;
  }

  albert(name: string, kind: StepKind, args: readonly string[], skipBecause: string | null = null): Promise<StepResult | null> {
    return this.step(name, kind, process.execPath, [CLI, ...args], skipBecause);
  }

  /** The recorded step of a result (the object the record holds, to mark it failed later). */
  recorded(name: string): StepRecord {
    const found = [...this.record.steps].reverse().find((st) => st.name === name);
    if (!found) throw new GpuRunError('GPU_RUN_OUTPUT', `no step ${name} in the record`);
    return found;
  }
}
