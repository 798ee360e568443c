import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Worker threads run compiled JavaScript, so the job runs from dist/ (npm test builds first).
import { embedTask, runJob } from '../../dist/src/index.js';
import { CLI, ROOT, cleanup, outputRows, readManifestJson, runCli, tempDir, tinyModel, writeCorpus } from '../helpers/cli.js';

/**
 * A stop (SIGINT/SIGTERM, or the library's AbortSignal) keeps work: reading and sending end at
 * once, the batches in flight finish, every finished window is committed (the last part may
 * be short), and --resume gives the rows of an uninterrupted run, byte for byte.
 */
let dir: string;
let model: string;
let corpus: string;
let ref: string;
const N = 3000;
const WINDOW_ROWS = 50;
const PART_ROWS = 400;
const WORKERS = 2;
/** The CPU provider queues this many batches per worker beyond the one it runs (execution-providers.ts). */
const QUEUE_PER_WORKER = 2;

const jobOptions = () => ({ model, maxLength: 64, batchTokens: 512, windowRows: WINDOW_ROWS, partRows: PART_ROWS, workers: WORKERS, threads: 1, quiet: true });
const cliFlags = () => ['--model', model, '--max-length', '64', '--batch-tokens', '512', '--window-rows', String(WINDOW_ROWS), '--part-rows', String(PART_ROWS), '--workers', String(WORKERS), '--threads', '1', '--quiet'];

beforeAll(async () => {
  dir = tempDir();
  model = tinyModel('albert-tiny');
  corpus = join(dir, 'corpus.csv');
  // Some empty rows, so rejects.jsonl must come out the same across a stop too.
  writeCorpus(corpus, N, 'row', (i) => i % 89 === 40);
  ref = join(dir, 'ref');
  const s = await runJob(embedTask, { input: corpus, out: ref, ...jobOptions() });
  expect(s.status).toBe('complete');
});
afterAll(() => cleanup(dir));

function expectSameRowsAsRef(out: string): void {
  const got = outputRows(out);
  const want = outputRows(ref);
  expect(got.ids).toEqual(want.ids);
  expect(got.embedding.equals(want.embedding)).toBe(true);
  expect(readFileSync(join(out, 'rejects.jsonl')).equals(readFileSync(join(ref, 'rejects.jsonl')))).toBe(true);
  expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
}

describe('a stop keeps the finished windows', () => {
  it('commits every row finished before the signal but the window being sent, sends no new batch, and resumes byte-identical', async () => {
    const out = join(dir, 'aborted');
    const controller = new AbortController();
    let doneAtSignal = -1;
    let batchesAfterSignal = 0;
    const summary = await runJob(embedTask, {
      input: corpus,
      out,
      ...jobOptions(),
      signal: controller.signal,
      onProgress: (p) => {
        if (controller.signal.aborted) batchesAfterSignal++;
        else if (p.rowsDone >= 700) {
          doneAtSignal = p.rowsDone;
          controller.abort();
        }
      },
    });
    console.log(`stop: ${doneAtSignal} rows done at the signal, ${summary.rows_in} kept, ${batchesAfterSignal} batches finished after it`);
    expect(summary.status).toBe('interrupted');
    // Only the batches already in the pool (one running and QUEUE_PER_WORKER queued per
    // worker) finish after the signal: the exit waits for them, never for a new one.
    expect(batchesAfterSignal).toBeLessThanOrEqual(WORKERS * (1 + QUEUE_PER_WORKER));
    // What is lost is at most the one window whose batches were being sent.
    expect(summary.rows_in).toBeGreaterThanOrEqual(doneAtSignal - WINDOW_ROWS);
    expect(summary.rows_in % WINDOW_ROWS).toBe(0);
    const m = readManifestJson(out);
    expect(m).toMatchObject({ status: 'interrupted', rows_in: summary.rows_in });
    expect(m.rows_in).toBe(m.rows_out + m.rows_rejected);
    expect(m.next.seq).toBe(summary.rows_in);

    const resumed = await runJob(embedTask, { input: corpus, out, ...jobOptions(), resume: true });
    expect(resumed).toMatchObject({ status: 'complete', rows_in: N });
    expectSameRowsAsRef(out);
    // After the short part, parts end where an uninterrupted job's do.
    const ends = (readManifestJson(out).parts as Array<{ seqEnd: number }>).map((p) => p.seqEnd);
    const refEnds = (readManifestJson(ref).parts as Array<{ seqEnd: number }>).map((p) => p.seqEnd);
    expect(ends.filter((e) => e % PART_ROWS === 0 || e === N)).toEqual(refEnds);
  });

  it('a stop after the last batch was sent leaves a complete job', async () => {
    const out = join(dir, 'late-stop');
    const controller = new AbortController();
    const summary = await runJob(embedTask, {
      input: corpus,
      out,
      ...jobOptions(),
      signal: controller.signal,
      // The last batch's progress: every row is done, nothing is left to cut.
      onProgress: (p) => p.rowsDone === N && controller.abort(),
    });
    expect(summary.status).toBe('complete');
    expectSameRowsAsRef(out);
  });
});

describe('signals from the CLI', () => {
  function startJob(out: string, env: NodeJS.ProcessEnv = {}) {
    const child = spawn(process.execPath, [CLI, 'embed', corpus, '--out', out, ...cliFlags()], { cwd: ROOT, env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    return { child, closed, stderr: () => stderr };
  }

  async function firstCommit(out: string, closed: Promise<unknown>): Promise<void> {
    let exited = false;
    void closed.then(() => (exited = true));
    for (;;) {
      try {
        if (readManifestJson(out).parts.length > 0) return;
      } catch {
        /* no manifest yet */
      }
      if (exited) throw new Error('the job exited before its first commit');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it.each(['SIGTERM', 'SIGINT'] as const)('%s: exit 130, says what was kept and how to go on, and --resume finishes byte-identical', async (sig) => {
    const out = join(dir, `cli-${sig}`);
    const job = startJob(out);
    await firstCommit(out, job.closed);
    const t0 = Date.now();
    job.child.kill(sig);
    const code = await job.closed;
    console.log(`${sig}: exit ${Date.now() - t0} ms after the signal`);
    expect(code, job.stderr()).toBe(130);
    const m = readManifestJson(out);
    expect(m.status).toBe('interrupted');
    expect(m.rows_in % WINDOW_ROWS).toBe(0);
    expect(job.stderr()).toContain(`kept ${m.rows_in.toLocaleString('en-US')} rows`);
    expect(job.stderr()).toContain('--resume');
    const r = await runCli(['embed', corpus, '--out', out, ...cliFlags(), '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expectSameRowsAsRef(out);
  });

  it('a second signal quits at once, and --resume still finishes byte-identical', async () => {
    const out = join(dir, 'cli-twice');
    // A batch that hangs (past the first part) keeps the first stop waiting: only the second
    // signal can end the run.
    const job = startJob(out, { ALBERT_FAULT_HANG_ROW: String(PART_ROWS + WINDOW_ROWS) });
    await firstCommit(out, job.closed);
    job.child.kill('SIGINT');
    while (!job.stderr().includes('stopping')) await new Promise((r) => setTimeout(r, 20));
    job.child.kill('SIGINT');
    expect(await job.closed).toBe(130);
    expect(job.stderr()).toContain('quitting at once');
    const r = await runCli(['embed', corpus, '--out', out, ...cliFlags(), '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expectSameRowsAsRef(out);
  });
});

describe('a new job that fails before its first commit', () => {
  it('leaves --out empty, so the rerun with a fixed input needs no --overwrite', async () => {
    const out = join(dir, 'empty-input');
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    const r = await runCli(['embed', empty, '--out', out, ...cliFlags()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ALB_INPUT_MISSING_COLUMN');
    // As it found it: no --out at all (it did not exist), so nothing to --overwrite.
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    const again = await runCli(['embed', corpus, '--out', out, ...cliFlags()]);
    expect(again.code, again.stderr).toBe(0);
    expectSameRowsAsRef(out);
  });
});
