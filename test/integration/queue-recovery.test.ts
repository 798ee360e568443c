import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, readManifestJson, readOutput, runCli, tempDir, tinyModel, writeCorpus } from '../helpers/cli.js';
import { dropQueue, freshQueue, redisDb, redisUrlForTests, shardRecord, startWorker, statusJson, until } from '../helpers/queue.js';

/** Queue mode when things go wrong: a worker killed mid-shard, Redis flushed, a shard longer than its lock. */
const REDIS = redisUrlForTests();
let dir: string;
let model: string;
const queues: Array<[string, string]> = [];

beforeAll(() => {
  dir = tempDir();
  model = tinyModel('albert-tiny');
});
afterAll(async () => {
  cleanup(dir);
  for (const [url, q] of queues) await dropQueue(url, q);
});

const common = () => ['--model', model, '--max-length', '64', '--window-rows', '100'];
const workerArgs = (redis: string, queue: string, extra: string[] = []) => ['--redis', redis, '--queue', queue, '--workers', '1', '--threads', '1', '--progress-every', '1', ...extra];
const sha256s = (out: string) => readManifestJson(out).parts.map((p: { sha256: string }) => p.sha256);

async function singleRun(corpus: string, name: string, partRows: number): Promise<string> {
  const out = join(dir, name);
  const r = await runCli(['embed', corpus, '--out', out, ...common(), '--part-rows', String(partRows), '--quiet']);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

describe.skipIf(!REDIS)('queue mode recovery', () => {
  it('a worker kill -9ed mid-shard: its shard stalls, another worker retries it, the output stays exact', async () => {
    const corpus = join(dir, 'kill.csv');
    writeCorpus(corpus, 3000, 'k', (i) => i % 101 === 7, 3);
    const single = await singleRun(corpus, 'kill-single', 300);
    const queue = freshQueue('kill');
    queues.push([REDIS!, queue]);
    const out = join(dir, 'kill');
    expect((await runCli(['submit', 'embed', corpus, '--out', out, '--run', 'kill', '--redis', REDIS!, '--queue', queue, ...common(), '--shard-rows', '300'])).code).toBe(0);

    // Worker A wedges inside shard 0 (its ONNX thread blocks on row k-150, as a hung device
    // call would), after it has done and reported the rows before it.
    const tuning = ['--lock-duration', '2', '--stalled-interval', '0.5'];
    const a = startWorker(workerArgs(REDIS!, queue, tuning), { ALBERT_FAULT_HANG_ROW: '150' });
    const active = await until('shard 0 to be active with progress', async () => {
      const s = await statusJson(REDIS!, queue, 'kill');
      const job = s.active.find((x: { shard: string }) => x.shard === 'kill-shard-00000');
      return job?.progress?.rows_done >= 100 ? job : undefined;
    });
    expect(active.progress.rows_done).toBeLessThan(300);
    a.child.kill('SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');

    const others = [0, 1].map(() => startWorker(workerArgs(REDIS!, queue, [...tuning, '--idle-exit', '1.5'])));
    for (const w of others) expect((await w.exited).code, w.log()).toBe(0);
    const logs = others.map((w) => w.log()).join('');
    expect(logs).toMatch(/kill-shard-00000: its worker stopped renewing the lock/);

    const s = await statusJson(REDIS!, queue, 'kill');
    expect(s).toMatchObject({ counts: { completed: 10, failed: 0 }, complete: true });
    expect(s.attempts.stalls).toBe(1);
    expect(s.attempts.retries).toBe(1);
    // A's half-written temp dir (if it got to write one), which nothing ever reads.
    expect(s.disk.abandoned_attempts).toBeLessThanOrEqual(1);
    expect(shardRecord(out, 'kill-shard-00000')!.attempt.pid).not.toBe(a.child.pid);

    expect((await runCli(['merge-manifest', out, '--verify'])).code).toBe(0);
    expect(sha256s(out)).toEqual(sha256s(single));
    const ids = readOutput(out).getChild('id')!.toArray() as string[];
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(readOutput(single).getChild('id')!.toArray());
    console.log(`queue-recovery: kill -9: 10 shards, ${s.attempts.retries} retry, ${s.attempts.stalls} stall survived, 0 duplicates`);
  });

  it('after a Redis flush, submit again plus workers complete only the missing shards', async () => {
    // Its own database, so FLUSHDB touches no other test's queue.
    const redis = redisDb(REDIS!, 7);
    const corpus = join(dir, 'flush.csv');
    writeCorpus(corpus, 1800, 'f');
    const single = await singleRun(corpus, 'flush-single', 300);
    const queue = freshQueue('flush');
    queues.push([redis, queue]);
    const out = join(dir, 'flush');
    const submit = () => runCli(['submit', 'embed', corpus, '--out', out, '--run', 'flush', '--redis', redis, '--queue', queue, ...common(), '--shard-rows', '300', '--json']);
    expect(JSON.parse((await submit()).stdout)).toMatchObject({ shards: 6, added: 6 });

    // One worker commits shards 0 and 1, then wedges in shard 2; then Redis loses everything.
    const a = startWorker(workerArgs(redis, queue), { ALBERT_FAULT_HANG_ROW: '700' });
    await until('shards 0 and 1 committed and shard 2 running', async () => {
      const s = await statusJson(redis, queue, 'flush');
      return s.disk.committed === 2 && s.counts.active === 1;
    });
    a.child.kill('SIGKILL');
    await a.exited;
    const before = ['flush-shard-00000', 'flush-shard-00001'].map((id) => shardRecord(out, id)!.attempt.id);
    const client = new Redis(redis);
    await client.flushdb();
    await client.quit();

    const lost = await runCli(['status', '--redis', redis, '--queue', queue, '--run', 'flush']);
    expect(lost.code).toBe(1);
    expect(lost.stderr).toContain('ALB_QUEUE_RUN_UNKNOWN');
    const fromDisk = await statusJson(redis, queue, 'flush', ['--out', out]);
    expect(fromDisk).toMatchObject({ jobs: 0, disk: { planned: 6, committed: 2 }, complete: false });

    const again = await submit();
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ shards: 6, added: 4, committed: 2 });
    const workers = [0, 1].map(() => startWorker(workerArgs(redis, queue, ['--idle-exit', '1.5', '--stalled-interval', '0.5'])));
    for (const w of workers) expect((await w.exited).code, w.log()).toBe(0);
    const logs = workers.map((w) => w.log()).join('');
    expect(logs).not.toMatch(/flush-shard-0000[01]/);
    expect((logs.match(/: committed \d+ rows/g) ?? []).length).toBe(4);
    // The shards committed before the flush were not redone.
    expect(['flush-shard-00000', 'flush-shard-00001'].map((id) => shardRecord(out, id)!.attempt.id)).toEqual(before);

    expect(await statusJson(redis, queue, 'flush')).toMatchObject({ jobs: 4, counts: { completed: 4 }, complete: true, disk: { committed: 6 } });
    expect((await runCli(['merge-manifest', out, '--verify'])).code).toBe(0);
    expect(sha256s(out)).toEqual(sha256s(single));
  });

  it('a shard that runs longer than its lock keeps the lock: ONNX works in piscina threads, the event loop stays free', async () => {
    const corpus = join(dir, 'long.csv');
    const rows = 24000;
    writeCorpus(corpus, rows, 'l');
    const queue = freshQueue('long');
    queues.push([REDIS!, queue]);
    const out = join(dir, 'long');
    expect((await runCli(['submit', 'embed', corpus, '--out', out, '--run', 'long', '--redis', REDIS!, '--queue', queue, ...common(), '--shard-rows', String(rows)])).code).toBe(0);
    // A 0.8 s lock, renewed every 0.4 s; a second worker with nothing to do checks for
    // stalls every 0.2 s from its own process, so a starved renewal would be caught.
    const lockS = 0.8;
    const tuning = ['--lock-duration', String(lockS), '--stalled-interval', '0.2', '--max-stalled', '0', '--idle-exit', '1'];
    const workers = [0, 1].map(() => startWorker(workerArgs(REDIS!, queue, tuning)));
    for (const w of workers) expect((await w.exited).code, w.log()).toBe(0);
    const logs = workers.map((w) => w.log()).join('');
    expect(logs).not.toMatch(/stopped renewing the lock|lock renewal failed|attempt \d+ failed/);

    const s = await statusJson(REDIS!, queue, 'long');
    expect(s).toMatchObject({ counts: { completed: 1, failed: 0 }, attempts: { started: 1, retries: 0, stalls: 0 }, complete: true });
    const record = shardRecord(out, 'long-shard-00000')!;
    expect(record.rows_out).toBe(rows);
    expect(record.elapsed_s).toBeGreaterThan(2 * lockS); // it outlived two locks: renewed, not lucky

    const connection = new Redis(REDIS!, { maxRetriesPerRequest: null });
    const q = new Queue(queue, { connection, prefix: 'albert' });
    const job = (await q.getJob('long-shard-00000'))!;
    await q.close();
    await connection.quit();
    expect(job.returnvalue).toMatchObject({ status: 'committed', rows_out: rows });
    console.log(`queue-recovery: long shard ${record.elapsed_s.toFixed(1)} s under a ${lockS} s lock, max event-loop lag ${job.returnvalue.max_event_loop_lag_ms} ms, 0 stalls`);
  });
});
