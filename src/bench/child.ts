/**
 * The child side of a measured run: each measured system (or configuration) runs in its own
 * `node` process so that its peak RSS is its own. The parent passes one JSON argument; the
 * child prints one JSON object (its figures) as the last line of stdout. Embeddings go to a
 * file (float32, row-major, input order) for the parent's agreement check. Shared by
 * `albert bench` and `npm run bench`.
 */
import { writeFileSync } from 'node:fs';

/** Figures every system reports. Times in seconds; what `timed_s` covers is in `timing`. */
export interface SystemResult {
  system: string;
  label: string;
  rows: number;
  /** Sum of unpadded row lengths ([CLS] … [SEP] included, after truncation). */
  real_tokens: number;
  /** Sum of B x S over the batches the system ran (null: not known). */
  padded_tokens: number | null;
  padding_efficiency: number | null;
  /** Model load (session creation), excluded from timed_s; null where it is inside it. */
  load_s: number | null;
  timed_s: number;
  /** What timed_s covers, in words. */
  timing: string;
  docs_per_s: number;
  tokens_per_s: number;
  batches: number;
  hidden: number;
  /**
   * Peak resident set of the child process (KiB), from process.resourceUsage().maxRSS, read
   * when the measured work ended (module loading, model load and the run included).
   */
  max_rss_kib: number;
  /** Highest RSS seen by a 250 ms sampler (KiB); maxRSS is the kernel's exact peak. */
  sampled_peak_rss_kib: number;
  /** User + system CPU of the whole child (all threads), seconds. */
  cpu_s: number;
  /** The same, up to the end of the measured work (what the figures cover; start-up included). */
  measured_cpu_s: number;
  /** Wall time of the whole child process from start to the figures, seconds. */
  process_wall_s: number;
  /** Rows' output embeddings written here (float32 rows x hidden, input order). */
  embeddings_file: string | null;
  /** System-specific figures. */
  extra: Record<string, unknown>;
}

const processStart = performance.now();
let sampledPeak = 0;
/** [ms since start, RSS KiB, main-thread V8 heap used KiB, main-thread external + array buffers KiB] */
export type RssSample = [number, number, number, number];
const samples: RssSample[] = [];
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  sampledPeak = Math.max(sampledPeak, m.rss);
  samples.push([Math.round(performance.now() - processStart), Math.round(m.rss / 1024), Math.round(m.heapUsed / 1024), Math.round(m.external / 1024)]);
}, 250);
sampler.unref();

/** The one JSON argument the parent passed. */
export function childArgument<T>(): T {
  const arg = process.argv[2];
  if (!arg) throw new Error('this script is run by a benchmark parent process with one JSON argument');
  return JSON.parse(arg) as T;
}

/**
 * Memory samples so far, thinned to at most `max` points. The main thread's heap and
 * external figures leave out the worker threads' heaps and ONNX Runtime's native memory,
 * which RSS includes: RSS growing while they stay flat points at native memory.
 */
export function rssSeries(max = 120): RssSample[] {
  if (samples.length <= max) return [...samples];
  const step = samples.length / max;
  const out: RssSample[] = [];
  for (let i = 0; i < max; i++) {
    // Keep the highest sample of each stretch, so the thinned series shows the peaks.
    const from = Math.floor(i * step);
    const to = Math.max(from + 1, Math.floor((i + 1) * step));
    let best = samples[from];
    for (let j = from; j < to; j++) if (samples[j][1] > best[1]) best = samples[j];
    out.push(best);
  }
  return out;
}

let measured: { maxRss: number; sampled: number; cpuS: number } | null = null;

/**
 * Call when the measured work is over: peak RSS is taken here, so what a child does after
 * (reading outputs back, the agreement files, a start-up probe) does not count.
 */
export function endOfMeasuredWork(): void {
  sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
  const usage = process.resourceUsage();
  measured = { maxRss: usage.maxRSS, sampled: Math.round(sampledPeak / 1024), cpuS: (usage.userCPUTime + usage.systemCPUTime) / 1e6 };
}

/** Prints the figures (plus RSS and CPU of this process) and exits. */
export function finish(r: Omit<SystemResult, 'max_rss_kib' | 'sampled_peak_rss_kib' | 'cpu_s' | 'measured_cpu_s' | 'process_wall_s'>): void {
  const usage = process.resourceUsage();
  sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
  const result: SystemResult = {
    ...r,
    max_rss_kib: measured?.maxRss ?? usage.maxRSS,
    sampled_peak_rss_kib: measured?.sampled ?? Math.round(sampledPeak / 1024),
    cpu_s: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    measured_cpu_s: measured?.cpuS ?? (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    process_wall_s: (performance.now() - processStart) / 1000,
  };
  // Native thread pools (ORT, tokenizers) can keep a process alive; the write callback exits.
  process.stdout.write(`\n${JSON.stringify(result)}\n`, () => process.exit(0));
}

export function writeEmbeddings(path: string | null, data: Float32Array): string | null {
  if (!path) return null;
  writeFileSync(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return path;
}

/** Reports a failure as the child's last line, so the parent can show why. */
export function runChild(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const e = err as Error & { code?: string };
    process.stdout.write(`\n${JSON.stringify({ error: { code: e?.code ?? null, message: e?.message ?? String(err), stack: e?.stack ?? null } })}\n`, () => process.exit(1));
  });
}
