import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { outLimitProblems } from '../../bench/gpu/out-limits.js';
import { RunLog } from '../../bench/gpu/run-log.js';
import { steadyRate } from '../../bench/gpu/steady-rate.js';
import { runStep } from '../../bench/gpu/step-runner.js';
import { ROOT, cleanup, tempDir } from '../helpers/cli.js';

/**
 * bench/gpu/run.sh, the prepared device run, end to end on the CPU with small N and the HF
 * fixture checkpoint, so the one device call has run here first. It asserts the steps ran
 * on the device asked for, the table came out, and $OUT holds only what the device hands
 * back (few small files, see bench/gpu/out-limits.ts); nothing about time. The step runner
 * is tested on its own against a hang, which a real step cannot be made to do on demand.
 */
const dir = tempDir('albert-gpu-run-');
afterAll(() => cleanup(dir));

const CPU_ENV = { DEVICE: 'cpu', ROWS: '96', BENCH_ROWS: '48', CHECK_ROWS: '32', BATCH_TOKENS: '2048', WORKERS: '1', CHECKPOINT: join(ROOT, 'test', 'fixtures', 'hf-albert-tiny', 'albert-tiny') };

function runSh(out: string, env: Record<string, string> = {}) {
  return spawnSync('bash', [join(ROOT, 'bench', 'gpu', 'run.sh')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...CPU_ENV, OUT: out, ...env } });
}

/** Alive and not a zombie (an orphan's zombie may stay in a container whose init does not reap). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

describe('bench/gpu/run.sh', () => {
  it('doctor, convert, optimize (checked), embed CSV → Arrow per variant (and longer, for the steady rate), bench, on the CPU; $OUT stays small', () => {
    const out = join(dir, 'out');
    const r = runSh(out);
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(r.stdout).toMatch(/\| variant \| EP \| embed docs\/s \(96 rows, CSV→Arrow\) \| steady docs\/s \(96→192 rows\) \|/);
    for (const v of ['fp32', 'fp16', 'fp16-fused']) expect(r.stdout).toMatch(new RegExp(`\\| ${v} \\| cpu \\| [\\d,.]+ \\| [\\d,.-]+ \\|`));
    const record = JSON.parse(readFileSync(join(out, 'gpu-run.json'), 'utf8'));
    expect(record.status).toBe('complete');
    expect(record.error).toBe(null);
    expect(record.steps.map((s: { status: string }) => s.status).every((s: string) => s === 'ok')).toBe(true);
    expect(record.steps.map((s: { name: string }) => s.name)).toContain('embed-fp16-fused-long');
    expect(Object.keys(record.embed)).toEqual(['fp32', 'fp16', 'fp16-fused']);
    for (const e of Object.values(record.embed) as Array<{ run: { rows_out: number; execution_provider: string }; long: { rows_out: number }; steady: { docs_per_s: number } | null }>) {
      expect(e.run.rows_out).toBe(96);
      expect(e.run.execution_provider).toBe('cpu');
      expect(e.long.rows_out).toBe(192);
      // 96 more rows on a loaded CPU may take no longer than noise; then there is honestly no rate.
      if (e.steady !== null) expect(e.steady.docs_per_s).toBeGreaterThan(0);
    }
    expect(record.accuracy['fp16-fused'].embeddings.rows).toBe(32);
    expect(record.bench.configs.map((c: { variant: string }) => c.variant)).toEqual(['fp32', 'fp16', 'fp16-fused']);
    expect(record.bench.configs.every((c: { bare: unknown }) => c.bare !== null)).toBe(true);
    expect(record.table).toBe(readFileSync(join(out, 'table.md'), 'utf8').trimEnd());
    // Models, inputs and Arrow parts went to a temp WORK, removed at the end; $OUT is what the device hands back.
    expect(readdirSync(out).sort()).toEqual(['bench.svg', 'gpu-run.json', 'run.log', 'table.md']);
    expect(outLimitProblems(out)).toEqual([]);
    expect(existsSync(record.settings.work)).toBe(false);
    const log = readFileSync(join(out, 'run.log'), 'utf8');
    for (const step of ['doctor', 'convert', 'optimize-fp16', 'embed-fp32', 'embed-fp32-long', 'bench']) expect(log).toContain(`=== ${step}: ok in `);
  }, 900_000);

  it('stops at its budget, and what ran is in gpu-run.json', () => {
    const out = join(dir, 'out-budget');
    const t0 = Date.now();
    const r = runSh(out, { BUDGET_S: '6' });
    expect(r.status).toBe(1);
    expect(Date.now() - t0).toBeLessThan(120_000);
    const record = JSON.parse(readFileSync(join(out, 'gpu-run.json'), 'utf8'));
    expect(record.status).toBe('failed');
    expect(record.error.code).toBe('GPU_RUN_STEP');
    expect(record.steps.some((s: { status: string }) => s.status === 'skipped' || s.status === 'timed_out')).toBe(true);
    expect(readFileSync(join(out, 'table.md'), 'utf8')).toMatch(/\| fp32 \| - \|/);
    expect(outLimitProblems(out)).toEqual([]);
  }, 300_000);

  it('on SIGTERM (run.sh\'s outer timeout) stops the step running, with what it started, and writes the record', async () => {
    const out = join(dir, 'out-signal');
    const work = join(dir, 'work-signal');
    const child = spawn('bash', [join(ROOT, 'bench', 'gpu', 'run.sh')], { cwd: ROOT, env: { ...process.env, ...CPU_ENV, OUT: out, WORK: work }, stdio: 'ignore' });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    // Wait until a step's process is running (one working in WORK), then stop the run as
    // `timeout` would. Which step that is depends on this machine's pace (waiting for the
    // log to name optimize-fp16 raced it: under load the run was past it by the signal).
    const ours = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p) && alive(Number(p)) && cmdline(Number(p)).includes(work));
    const t0 = Date.now();
    let running = ours();
    while (running.length === 0) {
      expect(Date.now() - t0, 'a step started a process in WORK').toBeLessThan(240_000);
      await new Promise((res) => setTimeout(res, 50));
      running = ours();
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
    const record = JSON.parse(readFileSync(join(out, 'gpu-run.json'), 'utf8'));
    expect(record.status).toBe('failed');
    expect(['GPU_RUN_SIGNAL', 'GPU_RUN_STEP']).toContain(record.error.code);
    // It stopped there: the last step (the bench) never ran to the end.
    expect(record.steps.find((s: { name: string }) => s.name.startsWith('bench'))?.status).not.toBe('ok');
    for (const pid of running) expect(alive(Number(pid)), `pid ${pid} (${cmdline(Number(pid))}) was left running`).toBe(false);
  }, 300_000);

  it('refuses a WORK under OUT', () => {
    const out = join(dir, 'out-work');
    const r = runSh(out, { WORK: join(out, 'work') });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/WORK .* lies under OUT/);
  }, 120_000);
});

describe('bench/gpu step runner', () => {
  it('kills a hung step and what it started at its limit, SIGKILL where SIGTERM is ignored, and goes on', async () => {
    const log = new RunLog(join(dir, 'hang.log'));
    // bash and its sleep both ignore SIGTERM (an ignored signal stays ignored across exec).
    const r = await runStep('hang', 'bash', ['-c', 'trap "" TERM; sleep 60 & echo $!; wait'], { cwd: dir, timeoutS: 1, graceMs: 500, log });
    expect(r.status).toBe('timed_out');
    expect(r.error).toMatch(/limit of 1 s/);
    expect(r.seconds).toBeLessThan(20);
    const grandchild = Number(r.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    for (let i = 0; i < 40 && alive(grandchild); i++) await new Promise((res) => setTimeout(res, 50));
    expect(alive(grandchild)).toBe(false);
    const ok = await runStep('next', 'bash', ['-c', 'echo fine'], { cwd: dir, timeoutS: 30, log });
    expect(ok.status).toBe('ok');
    const text = readFileSync(join(dir, 'hang.log'), 'utf8');
    expect(text).toMatch(/=== hang: no end after 1 s: SIGTERM/);
    expect(text).toMatch(/=== hang: still there after SIGTERM: SIGKILL/);
    expect(text).toMatch(/=== next: ok in /);
  }, 60_000);

  it('records a failed and an unstartable step without throwing', async () => {
    const log = new RunLog(join(dir, 'fail.log'));
    const failed = await runStep('fails', 'bash', ['-c', 'echo oops >&2; exit 3'], { cwd: dir, timeoutS: 30, log });
    expect(failed).toMatchObject({ status: 'failed', exit_code: 3 });
    expect(failed.error).toMatch(/exited with 3: oops/);
    const missing = await runStep('missing', join(dir, 'no-such-program'), [], { cwd: dir, timeoutS: 30, log });
    expect(missing.status).toBe('failed');
    expect(missing.error).toMatch(/could not start/);
  }, 60_000);

  it('keeps each step\'s head and tail in run.log, and the file under its cap', () => {
    const file = join(dir, 'capped.log');
    const log = new RunLog(file, { totalBytes: 6000, stepHeadBytes: 1000, stepTailBytes: 500 });
    log.beginStep('=== big');
    for (let i = 0; i < 100; i++) log.output(`${String(i).padStart(3, '0')}${'x'.repeat(96)}\n`);
    log.endStep('=== big: ok');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('000xxx');
    expect(text).toContain('099xxx');
    expect(text).not.toContain('050xxx');
    expect(text).toMatch(/8500 bytes of this step's output left out/);
    for (let s = 0; s < 10; s++) {
      log.beginStep(`=== step ${s}`);
      log.output('y'.repeat(1400));
      log.endStep(`=== step ${s}: ok`);
    }
    expect(statSync(file).size).toBeLessThan(6000 + 256 * 1024);
    expect(readFileSync(file, 'utf8')).toMatch(/run\.log reached its 6000 bytes/);
  });
});

describe('bench/gpu steady rate', () => {
  it('is the rate of the rows the longer run added, and the fixed seconds are what the shorter spent beside them', () => {
    // 10 s of fixed cost, then 1,000 docs/s: 4,000 rows in 14 s, 12,000 in 22 s.
    const s = steadyRate({ rows_out: 4000, tokens: 400_000, elapsed_s: 14 }, { rows_out: 12000, tokens: 1_200_000, elapsed_s: 22 });
    expect(s).not.toBe(null);
    expect(s!.docs_per_s).toBeCloseTo(1000);
    expect(s!.tokens_per_s).toBeCloseTo(100_000);
    expect(s!.fixed_s).toBeCloseTo(10);
    expect(steadyRate({ rows_out: 100, tokens: 1, elapsed_s: 2 }, { rows_out: 200, tokens: 2, elapsed_s: 1.9 })).toBe(null);
  });
});
