/**
 * Measures how long this thread's event loop was blocked, by how late a repeating timer
 * fires. BullMQ renews job locks from this loop, so the worker reports the worst lag of
 * every shard: far below half the lock duration means lock renewal was never starved.
 *
 * @example
 * ```ts
 * const probe = new LagProbe();
 * await work();
 * probe.stop();
 * console.log(probe.maxLagMs);
 * ```
 */
export class LagProbe {
  maxLagMs = 0;
  private last = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly everyMs = 50) {
    this.timer = setInterval(() => {
      const now = performance.now();
      this.maxLagMs = Math.max(this.maxLagMs, now - this.last - this.everyMs);
      this.last = now;
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
