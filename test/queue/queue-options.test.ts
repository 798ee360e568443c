import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { QueueError } from '../../src/queue/queue-error.js';
import { redactRedisUrl, resolveQueueConnection } from '../../src/queue/queue-options.js';
import { findTask } from '../../src/tasks/task-registry.js';
import { parseShardJobData, runJobIdPattern, SHARD_JOB_FORMAT, shardJobOptions } from '../../src/queue/shard-job.js';
import { resolveShardWorkerOptions } from '../../src/queue/shard-worker.js';

/** Queue-mode options and job data: no Redis needed. */
describe('resolveQueueConnection', () => {
  it('fills defaults, takes ALBERT_REDIS_URL, and freezes', () => {
    const c = resolveQueueConnection({}, { ALBERT_REDIS_URL: 'redis://10.0.0.5:6379/2' });
    expect(c).toEqual({ redis: 'redis://10.0.0.5:6379/2', queue: 'shards', prefix: 'albert' });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('names the option and the value it got', () => {
    const err = (o: object) => {
      try {
        resolveQueueConnection(o, {});
      } catch (e) {
        expect(e).toBeInstanceOf(OptionError);
        return (e as OptionError).message;
      }
      throw new Error('expected an OptionError');
    };
    expect(err({})).toBe('option --redis: expected a Redis URL such as redis://127.0.0.1:6379 (or set ALBERT_REDIS_URL), got undefined');
    expect(err({ redis: 'localhost:6379' })).toContain('option --redis: expected a redis:// or rediss:// URL, got "localhost:6379"');
    expect(err({ redis: 'redis://h:1/x' })).toContain('a database number as the path');
    expect(err({ redis: 'redis://h:1', queue: 'a:b' })).toContain('option --queue: expected a name of letters');
  });

  it('redacts passwords for logs', () => {
    expect(redactRedisUrl('redis://user:s3cret@h:6379/1')).toBe('redis://user:***@h:6379/1');
  });
});

describe('shard jobs', () => {
  const shard = { id: 'docs-shard-00003', index: 3, input: '/data/docs.csv', startOffset: 10, endOffset: 99, firstSeq: 300, rows: 100 };
  const data = { format: SHARD_JOB_FORMAT, run: 'docs', task: 'embed', options: {}, out: '/out', fingerprint: { task: 'embed' }, shard, submitted_at: '' };

  it('job id = shard id, exponential backoff, finished jobs kept (they are the dedup)', () => {
    expect(shardJobOptions(shard, { attempts: 5, backoffMs: 10_000 })).toEqual({ jobId: 'docs-shard-00003', attempts: 5, backoff: { type: 'exponential', delay: 10_000 }, removeOnComplete: false, removeOnFail: false });
  });

  it("matches a run's job ids and no other run's", () => {
    const p = runJobIdPattern('a.b');
    expect(p.test('a.b-shard-00001')).toBe(true);
    expect(p.test('axb-shard-00001')).toBe(false);
    expect(runJobIdPattern('a').test('a-shard-1-shard-00000')).toBe(false);
  });

  it('checks job data before a worker acts on it', () => {
    expect(parseShardJobData(data, 'docs-shard-00003')).toBe(data);
    expect(() => parseShardJobData({ ...data, format: 'x' }, 'docs-shard-00003')).toThrow(QueueError);
    expect(() => parseShardJobData({ ...data, task: '' }, 'docs-shard-00003')).toThrow(/no task/);
    // The task is looked up where the worker knows its own tasks too.
    expect(() => findTask('summarize')).toThrow(/unknown task "summarize"/);
    expect(() => findTask('lable')).toThrow(expect.objectContaining({ code: 'ALB_TASK_UNKNOWN', message: expect.stringContaining('did you mean "label"?') }));
    expect(findTask('cls-norm', [{ ...findTask('embed'), name: 'cls-norm' }]).name).toBe('cls-norm');
    expect(() => parseShardJobData(data, 'docs-shard-00004')).toThrow(/under another job id/);
  });

  it('worker concurrency defaults to the sessions it can feed', () => {
    expect(resolveShardWorkerOptions({ redis: 'redis://h:1', workers: 3 }).concurrency).toBe(3);
    expect(resolveShardWorkerOptions({ redis: 'redis://h:1', device: 'cuda:0,1' }).concurrency).toBe(4);
    expect(() => resolveShardWorkerOptions({ redis: 'redis://h:1', lockDurationMs: 5 })).toThrow('option --lock-duration: expected an integer from 200 to 3600000, got 5');
  });
});
