/**
 * $OUT/run.log: every step's command and output, appended as it comes, so what a step
 * printed before it hung or was killed is on disk already. The device hands back files of
 * < 16 MiB only, so the log is capped: each step keeps its first and its last bytes (where
 * errors are) and says how much it left out between, and the whole file stays under
 * `totalBytes` plus a small reserve for the run's own lines.
 */
import { appendFileSync, writeFileSync } from 'node:fs';

export interface RunLogLimits {
  totalBytes: number;
  stepHeadBytes: number;
  stepTailBytes: number;
}

/** 12 steps × (512 + 128) KiB is 7.5 MiB, well under the 16 MiB the device returns. */
export const RUN_LOG_LIMITS: RunLogLimits = { totalBytes: 12 * 2 ** 20, stepHeadBytes: 512 * 1024, stepTailBytes: 128 * 1024 };

/** Room kept past `totalBytes` for step headers, footers and the run's own lines. */
const RESERVE_BYTES = 256 * 1024;

export class RunLog {
  private bytes = 0;
  private stepBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private leftOut = 0;
  private full = false;

  constructor(
    readonly file: string,
    private readonly limits: RunLogLimits = RUN_LOG_LIMITS,
  ) {
    writeFileSync(file, '');
  }

  /** Size written so far. */
  get size(): number {
    return this.bytes;
  }

  /** A line of the run's own (step starts and ends, notes). */
  line(text: string): void {
    this.append(Buffer.from(`${text}\n`), this.limits.totalBytes + RESERVE_BYTES);
  }

  beginStep(header: string): void {
    this.stepBytes = 0;
    this.tail = [];
    this.tailBytes = 0;
    this.leftOut = 0;
    this.line(header);
  }

  /** A chunk of the running step's output: written at once while the step is under its head size, else kept as a rolling tail. */
  output(chunk: Buffer | string): void {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const headRoom = this.limits.stepHeadBytes - this.stepBytes;
    if (headRoom > 0) {
      const head = buf.subarray(0, headRoom);
      this.stepBytes += head.length;
      this.append(head, this.limits.totalBytes);
      buf = buf.subarray(head.length);
    }
    if (buf.length === 0) return;
    this.tail.push(buf);
    this.tailBytes += buf.length;
    while (this.tailBytes - this.tail[0].length >= this.limits.stepTailBytes) {
      this.leftOut += this.tail[0].length;
      this.tailBytes -= this.tail.shift()!.length;
    }
  }

  endStep(footer: string): void {
    const tail = Buffer.concat(this.tail);
    const kept = tail.subarray(Math.max(0, tail.length - this.limits.stepTailBytes));
    this.leftOut += tail.length - kept.length;
    if (this.leftOut > 0) this.line(`\n[… ${this.leftOut} bytes of this step's output left out: run.log keeps each step's first and last bytes …]`);
    if (kept.length > 0) this.append(kept, this.limits.totalBytes);
    this.tail = [];
    this.tailBytes = 0;
    this.line(footer);
  }

  private append(buf: Buffer, limit: number): void {
    const room = Math.max(0, limit - this.bytes);
    const part = buf.length <= room ? buf : buf.subarray(0, room);
    if (part.length > 0) appendFileSync(this.file, part);
    this.bytes += part.length;
    if (part.length < buf.length && limit === this.limits.totalBytes && !this.full) {
      this.full = true;
      this.line(`\n[… run.log reached its ${this.limits.totalBytes} bytes: steps' output from here on is left out (the device returns files under 16 MiB) …]`);
    }
  }
}
