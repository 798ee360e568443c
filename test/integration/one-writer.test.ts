import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, cleanup, readOutput, runCli, tempDir, tinyModel, writeCorpus, type CliResult } from '../helpers/cli.js';

/**
 * One writer per output: a lock in --out, taken before the model loads. Two jobs started
 * at once on one --out: one runs, the other is ALB_OUTPUT_LOCKED naming the holder, and
 * the output is a single run's. --resume and --overwrite against a running job are refused
 * the same way, and a lock left by a killed job is broken, with a note, by the next run.
 */
let dir: string;
let model: string;
let corpus: string;
let ref: string;
/** A longer job, so the refusals below meet it while it runs. */
let big: string;
let bigRef: string;
const flags = () => ['--model', model, '--max-length', '64', '--batch-tokens', '512', '--window-rows', '50', '--part-rows', '200', '--workers', '1', '--threads', '1', '--quiet'];

beforeAll(async () => {
  dir = tempDir();
  model = tinyModel('albert-tiny');
  corpus = join(dir, 'corpus.csv');
  writeCorpus(corpus, 500, 'doc', (i) => i % 53 === 5);
  ref = join(dir, 'ref');
  const r = await runCli(['embed', corpus, '--out', ref, ...flags()]);
  expect(r.code, r.stderr).toBe(0);
  big = join(dir, 'big.csv');
  writeCorpus(big, 8000, 'big', (i) => i % 53 === 5);
  bigRef = join(dir, 'big-ref');
  const b = await runCli(['embed', big, '--out', bigRef, ...flags()]);
  expect(b.code, b.stderr).toBe(0);
}, 240_000);
afterAll(() => cleanup(dir));

const ids = (out: string) => readOutput(out).getChild('id')!.toArray() as string[];
const rejects = (out: string) => readFileSync(join(out, 'rejects.jsonl'), 'utf8');

function start(args: string[]): { done: Promise<CliResult>; pid: number } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr }));
  });
  return { done, pid: child.pid! };
}

async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('one writer per --out', () => {
  it('two jobs started at the same moment, 10 times: exactly one runs, the other gets ALB_OUTPUT_LOCKED, and the output is one run\'s', async () => {
    for (let round = 0; round < 10; round++) {
      const out = join(dir, `race-${round}`);
      const results = await Promise.all([start(['embed', corpus, '--out', out, ...flags()]).done, start(['embed', corpus, '--out', out, ...flags()]).done]);
      const ok = results.filter((r) => r.code === 0);
      const locked = results.filter((r) => r.code !== 0);
      expect(ok.length, results.map((r) => r.stderr).join('\n')).toBe(1);
      expect(locked[0].code).toBe(1);
      expect(locked[0].stderr).toContain('ALB_OUTPUT_LOCKED');
      expect(locked[0].stderr).toMatch(new RegExp(`pid \\d+ on host ${hostname()}`));
      expect(ids(out)).toEqual(ids(ref));
      expect(rejects(out)).toBe(rejects(ref));
      expect(existsSync(join(out, 'albert.lock'))).toBe(false);
    }
  }, 600_000);

  it('--resume and --overwrite against a running job are refused, and the running job finishes intact', async () => {
    const out = join(dir, 'running');
    const job = start(['embed', big, '--out', out, ...flags()]);
    await until(() => existsSync(join(out, 'manifest.json')), 'the first commit');
    const resume = await runCli(['embed', big, '--out', out, '--resume', ...flags()]);
    const overwrite = await runCli(['embed', big, '--out', out, '--overwrite', ...flags()]);
    const r = await job.done;
    // On a fast machine the job may finish before both refusals ran; each one that overlapped it is refused.
    for (const x of [resume, overwrite]) if (x.code !== 0) expect(x.stderr).toContain('ALB_OUTPUT_LOCKED');
    expect(resume.code === 1 || overwrite.code === 1, 'at least one refusal overlapped the job').toBe(true);
    expect(r.code, r.stderr).toBe(0);
    expect(ids(out)).toEqual(ids(bigRef));
    expect(rejects(out)).toBe(rejects(bigRef));
  }, 180_000);

  it('a lock left by a job killed with SIGKILL is broken by the next --resume, with a note naming the dead pid', async () => {
    const out = join(dir, 'killed');
    const job = start(['embed', big, '--out', out, ...flags()]);
    await until(() => existsSync(join(out, 'manifest.json')), 'the first commit');
    process.kill(job.pid, 'SIGKILL');
    await job.done;
    expect(existsSync(join(out, 'albert.lock'))).toBe(true);
    const r = await runCli(['embed', big, '--out', out, '--resume', ...flags()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`pid ${job.pid}`);
    expect(r.stderr).toMatch(/stale lock/);
    expect(ids(out)).toEqual(ids(bigRef));
    expect(existsSync(join(out, 'albert.lock'))).toBe(false);
  }, 180_000);

  it('a lock held by a live job on another host is respected until it goes stale (--lock-stale)', async () => {
    const out = join(dir, 'other-host');
    await runCli(['embed', corpus, '--out', out, ...flags()]);
    writeFileSync(join(out, 'albert.lock'), JSON.stringify({ pid: 1, host: 'another-host.example', started_at: new Date().toISOString(), command: 'albert embed x' }));
    const held = await runCli(['embed', corpus, '--out', out, '--resume', ...flags()]);
    expect(held.code).toBe(1);
    expect(held.stderr).toContain('ALB_OUTPUT_LOCKED');
    expect(held.stderr).toContain('another-host.example');
    await new Promise((r) => setTimeout(r, 2500));
    const stale = await runCli(['embed', corpus, '--out', out, '--resume', '--lock-stale', '1', ...flags()]);
    expect(stale.code, stale.stderr).toBe(0);
    expect(stale.stderr).toMatch(/stale lock/);
  }, 120_000);
});
