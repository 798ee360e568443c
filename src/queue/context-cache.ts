import { openJobContext, type JobContext } from '../pipeline/job-context.js';
import type { TaskDefinition } from '../tasks/task.js';

interface Entry {
  key: string;
  ctx: Promise<JobContext>;
  refs: number;
  lastUsed: number;
}

export interface ContextLease {
  ctx: JobContext;
  release(): void;
}

/**
 * One JobContext (model, tokenizer, worker pool) per distinct (task, options), shared by
 * every shard that needs it, so a worker loads a model once and not once per shard. Holds at
 * most `max` contexts: the least recently used idle one is closed when another is needed
 * (each owns a pool of sessions, which is memory on the device). A context in use is never
 * closed; a context that failed to open is forgotten, so the next shard tries again.
 *
 * @example
 * ```ts
 * const cache = new ContextCache(2, (o) => ({ ...o, device: 'cuda', workers: 2 }));
 * const lease = await cache.acquire(embedTask, data.options);
 * try { await runShard(lease.ctx, out, shard); } finally { lease.release(); }
 * await cache.close();
 * ```
 */
export class ContextCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly max: number,
    /** Adds what the worker decides (device, workers, threads, signal, quiet). */
    private readonly workerChoices: (options: Record<string, unknown>) => Record<string, unknown>,
  ) {}

  async acquire(task: TaskDefinition<any>, options: Record<string, unknown>, input: string, out: string): Promise<ContextLease> {
    const key = JSON.stringify([task.name, sortKeys(options)]);
    let entry = this.entries.get(key);
    if (!entry) {
      // The entry goes in before any await, so shards arriving together share one context.
      // evict() drops idle entries synchronously and only then awaits their close.
      const evicted = this.evict(this.max - 1);
      // input/out are required to resolve options, and not part of the key: runShard reads each shard's own input into its own out.
      const ctx = evicted.then(() => openJobContext(task, this.workerChoices({ ...options, input, out })));
      entry = { key, ctx, refs: 0, lastUsed: Date.now() };
      this.entries.set(key, entry);
      ctx.catch(() => this.entries.get(key) === entry && this.entries.delete(key));
    }
    entry.refs++;
    entry.lastUsed = Date.now();
    let ctx: JobContext;
    try {
      ctx = await entry.ctx;
    } catch (err) {
      entry.refs--;
      throw err;
    }
    let released = false;
    const e = entry;
    return {
      ctx,
      release: () => {
        if (released) return;
        released = true;
        e.refs--;
        e.lastUsed = Date.now();
      },
    };
  }

  get size(): number {
    return this.entries.size;
  }

  /** Closes every context (after the worker stopped taking shards). */
  async close(): Promise<void> {
    await this.evict(0, true);
  }

  private async evict(keep: number, all = false): Promise<void> {
    const idle = [...this.entries.values()].filter((e) => all || e.refs === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    const closes: Promise<void>[] = [];
    while (this.entries.size > Math.max(keep, 0) && idle.length > 0) {
      const e = idle.shift()!;
      this.entries.delete(e.key);
      closes.push(e.ctx.then((c) => c.close(), () => undefined));
    }
    await Promise.all(closes);
  }
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
