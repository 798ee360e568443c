/**
 * GPU memory in use while a benchmark child runs, sampled from `nvidia-smi` (what every
 * process on the GPU holds: run one benchmark at a time). Null where there is no nvidia-smi.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** MiB used per GPU, or null when nvidia-smi cannot be run. */
export async function gpuMemoryUsedMiB(): Promise<number[] | null> {
  try {
    const { stdout } = await run('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits'], { timeout: 5000 });
    const used = stdout.trim().split('\n').map((l) => Number(l.trim())).filter((n) => Number.isFinite(n));
    return used.length > 0 ? used : null;
  } catch {
    return null;
  }
}

/**
 * Samples every `ms` until stopped; `stop()` resolves to the peak (MiB, summed over GPUs),
 * or null when nothing could be read.
 *
 * @example
 * ```ts
 * const gpu = sampleGpuMemory(500);
 * await work();
 * const peakMiB = await gpu.stop();
 * ```
 */
export function sampleGpuMemory(ms = 500): { stop(): Promise<number | null> } {
  let peak: number | null = null;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const used = await gpuMemoryUsedMiB();
      if (used === null) return;
      peak = Math.max(peak ?? 0, used.reduce((a, b) => a + b, 0));
      await new Promise((r) => setTimeout(r, ms).unref());
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return peak;
    },
  };
}
