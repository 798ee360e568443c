import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, readManifestJson, readOutput, runCli, tempDir, tinyModel, vectors, writeCorpus } from '../helpers/cli.js';
import { dropQueue, freshQueue, redisUrlForTests, startWorker, statusJson } from '../helpers/queue.js';

/** Queue mode (BullMQ on a real Redis): many workers, one output, exactly the single-process result. */
const REDIS = redisUrlForTests();
let dir: string;
let model: string;
let corpus: string;
const N = 3000;
const queues: string[] = [];

beforeAll(() => {
  dir = tempDir();
  model = tinyModel('albert-tiny');
  corpus = join(dir, 'corpus.csv');
  writeCorpus(corpus, N, 'w', (i) => i % 101 === 7, 7);
});
afterAll(async () => {
  cleanup(dir);
  if (REDIS) for (const q of queues) await dropQueue(REDIS, q);
});

const common = () => ['--model', model, '--max-length', '64', '--window-rows', '100'];
const queueArgs = (queue: string) => ['--redis', REDIS!, '--queue', queue];
// Short stall checks so a lost worker's shard comes back within seconds; the lock stays long
// enough that a busy two-core machine never loses one by accident.
const workerArgs = (queue: string, idleExit = '1.5') => [...queueArgs(queue), '--workers', '1', '--threads', '1', '--lock-duration', '5', '--stalled-interval', '0.5', '--idle-exit', idleExit, '--progress-every', '1'];

describe.skipIf(!REDIS)('albert submit / worker / status', () => {
  it('3 workers on one corpus give exactly the single-process output; submitting twice adds no jobs', async () => {
    const single = join(dir, 'single');
    expect((await runCli(['embed', corpus, '--out', single, ...common(), '--part-rows', '300', '--quiet'])).code).toBe(0);

    const queue = freshQueue('three');
    queues.push(queue);
    const out = join(dir, 'three');
    const submit = () => runCli(['submit', 'embed', corpus, '--out', out, '--run', 'three', ...queueArgs(queue), ...common(), '--shard-rows', '300', '--json']);
    const first = await submit();
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ shards: 10, rows: N, added: 10, committed: 0 });
    const second = await submit();
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ shards: 10, added: 0, existing: { waiting: 10 } });
    expect(second.stderr).toContain('0 queued, 0 already committed, already in the queue: 10 waiting');
    expect((await statusJson(REDIS!, queue, 'three')).jobs).toBe(10);

    const workers = [0, 1, 2].map(() => startWorker(workerArgs(queue)));
    const results = await Promise.all(workers.map((w) => w.exited));
    results.forEach((r) => expect(r.code, r.stderr).toBe(0));

    const s = await statusJson(REDIS!, queue, 'three');
    expect(s).toMatchObject({ jobs: 10, counts: { completed: 10, failed: 0, active: 0, waiting: 0 }, complete: true, disk: { planned: 10, committed: 10, missing: [] } });
    expect(s.disagree).toEqual({ completed_not_committed: [], committed_not_completed: [] });

    expect((await runCli(['merge-manifest', out, '--verify'])).code).toBe(0);
    const m = readManifestJson(out);
    expect(m).toMatchObject({ status: 'complete', rows_in: N });
    // Byte-identical parts: same ids, values and order as one process over the whole corpus.
    expect(m.parts.map((p: { sha256: string }) => p.sha256)).toEqual(readManifestJson(single).parts.map((p: { sha256: string }) => p.sha256));
    const a = readOutput(single);
    const b = readOutput(out);
    const ids = b.getChild('id')!.toArray() as string[];
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(a.getChild('id')!.toArray());
    expect(vectors(b, 'embedding')).toEqual(vectors(a, 'embedding'));

    // Once the output holds every shard, submitting again queues nothing (and --wait only merges).
    const third = await runCli(['submit', 'embed', corpus, '--out', out, '--run', 'three', ...queueArgs(queue), ...common(), '--shard-rows', '300', '--json', '--wait']);
    expect(third.code, third.stderr).toBe(0);
    expect(JSON.parse(third.stdout)).toMatchObject({ added: 0, committed: 10 });
    expect(third.stderr).toContain(`merge-manifest: 10 shards · ${N} rows in`);
    const per = workers.map((w) => (w.log().match(/: committed \d+ rows/g) ?? []).length);
    expect(per.reduce((x, y) => x + y, 0)).toBe(10);
    console.log(`queue-workers: 10 shards over 3 workers: ${per.join(' / ')} committed each`);
  });

  it('status names failed shards and why; retry-failed queues them again; shards of several inputs', async () => {
    const queue = freshQueue('retry');
    queues.push(queue);
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    writeCorpus(a, 600, 'a');
    writeCorpus(b, 600, 'b');
    const out = join(dir, 'retry');
    const sub = await runCli(['submit', 'embed', a, b, '--out', out, '--run', 'two-inputs', ...queueArgs(queue), ...common(), '--shard-rows', '300', '--attempts', '2', '--backoff', '0.05', '--json']);
    expect(sub.code, sub.stderr).toBe(0);
    expect(JSON.parse(sub.stdout)).toMatchObject({ shards: 4, added: 4 });

    // b.csv disappears before any worker reads it (an unmounted share, say): its shards fail.
    renameSync(b, `${b}.away`);
    const w1 = startWorker(workerArgs(queue, '1'));
    expect((await w1.exited).code).toBe(0);
    const s = await statusJson(REDIS!, queue, 'two-inputs');
    expect(s.counts).toMatchObject({ completed: 2, failed: 2 });
    expect(s.failed.map((f: { shard: string }) => f.shard)).toEqual(['two-inputs-shard-00002', 'two-inputs-shard-00003']);
    for (const f of s.failed) {
      expect(f.attempts).toBe(2);
      expect(f.reason).toMatch(/^ALB_\w+: .*b\.csv/);
    }
    expect(s.disk).toMatchObject({ planned: 4, committed: 2 });
    expect(s.complete).toBe(false);
    const text = await runCli(['status', ...queueArgs(queue), '--run', 'two-inputs']);
    expect(text.stdout).toContain('2 completed, 2 failed');
    expect(text.stdout).toContain('failed two-inputs-shard-00002 after 2 attempts: ALB_');
    expect(text.stdout).toContain('albert retry-failed --run two-inputs');
    // Submitting again does not revive failed shards, and --wait gives up on them, loudly.
    const waited = await runCli(['submit', 'embed', a, b, '--out', out, '--run', 'two-inputs', ...queueArgs(queue), ...common(), '--shard-rows', '300', '--wait']);
    expect(waited.code).toBe(1);
    expect(waited.stderr).toContain('0 queued, 2 already committed, already in the queue: 2 failed');
    expect(waited.stderr).toContain('ALB_QUEUE_RUN_FAILED: run two-inputs: 2 shards failed for good');

    renameSync(`${b}.away`, b);
    const retry = await runCli(['retry-failed', ...queueArgs(queue), '--run', 'two-inputs']);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stderr).toContain('2 failed shards queued again');
    const w2 = startWorker(workerArgs(queue, '1'));
    expect((await w2.exited).code).toBe(0);
    expect(await statusJson(REDIS!, queue, 'two-inputs')).toMatchObject({ counts: { completed: 4, failed: 0 }, complete: true });
    expect((await runCli(['merge-manifest', out, '--verify'])).code).toBe(0);
    const ids = readOutput(out).getChild('id')!.toArray() as string[];
    expect(ids).toEqual([...Array.from({ length: 600 }, (_, i) => `a-${i}`), ...Array.from({ length: 600 }, (_, i) => `b-${i}`)]);
  });

  it('refuses a run id already queued for another output, and names bad options', async () => {
    const queue = freshQueue('conflict');
    queues.push(queue);
    const args = (out: string) => ['submit', 'embed', corpus, '--out', join(dir, out), '--run', 'same', ...queueArgs(queue), ...common(), '--shard-rows', '1000'];
    expect((await runCli(args('c1'))).code).toBe(0);
    const r = await runCli(args('c2'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ALB_QUEUE_RUN_CONFLICT');
    const bad = await runCli(['worker', '--redis', 'http://localhost:1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ALB_QUEUE_OPTION_INVALID: option --redis: expected a redis:// or rediss:// URL, got "http://localhost:1"');
    const down = await runCli(['status', '--redis', 'redis://127.0.0.1:1', '--run', 'x']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('ALB_QUEUE_REDIS_UNREACHABLE');
  });
});
