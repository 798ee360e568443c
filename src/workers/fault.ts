/**
 * Test-only faults a worker can be told to act out on a batch, so the recovery paths (retry,
 * halving, reject) are tested against a real worker that really throws, dies or hangs.
 */
export type Fault = 'throw' | 'exit' | 'hang';

export function actOut(fault: Fault, seq: number): void {
  if (fault === 'exit') process.exit(86);
  if (fault === 'throw') throw new Error(`injected fault in the batch starting at seq ${seq}`);
  // Blocks the thread, as a wedged native call would: only the batch timeout can end it.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
