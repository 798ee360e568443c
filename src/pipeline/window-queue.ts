import type { Window } from './window.js';

/**
 * Windows in flight, in order: each is submitted after the one before it (so batches reach
 * the pool in input order) and emitted to the sink after the one before it was (so parts
 * hold rows in input order), while at most `open` windows are read ahead of the oldest one
 * not yet emitted: that bounds memory whatever the input's size.
 *
 * @example
 * ```ts
 * const q = new WindowQueue(3, submit, emit, fail);
 * await q.room();
 * q.launch(win);
 * await q.drain();
 * ```
 */
export class WindowQueue {
  private readonly windows: Window[] = [];
  private submitted: Promise<void> = Promise.resolve();
  private emitted: Promise<void> = Promise.resolve();

  constructor(
    private readonly open: number,
    private readonly submit: (w: Window) => Promise<void>,
    private readonly emit: (w: Window) => Promise<void>,
    /** Records the first failure; the queue keeps draining so every window settles. */
    private readonly fail: (err: unknown) => void,
    /** Whether the run failed or was stopped before this window: if so it is cut, not sent. */
    private readonly halted: (w: Window) => boolean,
  ) {}

  /** The newest window launched, if any. */
  get last(): Window | undefined {
    return this.windows[this.windows.length - 1];
  }

  /** Waits until a new window may be read. */
  async room(): Promise<void> {
    while (this.windows.length >= this.open) await this.windows.shift()!.emitted;
  }

  launch(win: Window): void {
    this.windows.push(win);
    const prevEmitted = this.emitted;
    this.submitted = this.submitted
      .then(() => {
        if (!this.halted(win)) return this.submit(win);
        win.cut = true;
        win.release();
      })
      .catch((err) => {
        this.fail(err);
        win.release();
      });
    win.emitted = this.emitted = prevEmitted.then(() => this.emit(win)).catch(this.fail);
  }

  /** Resolves once every launched window has been emitted (or given up on a failure). */
  async drain(): Promise<void> {
    await Promise.allSettled(this.windows.map((w) => w.emitted));
  }
}
