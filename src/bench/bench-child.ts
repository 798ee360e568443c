/**
 * One measured configuration of `albert bench`, in its own process (so that its peak RSS
 * is its own): the pipeline (`runJob` with embed: CSV in, Arrow out) or the bare session
 * over the same batches (the ceiling). Started by src/bench/bench-sweep.ts:
 *
 *   node dist/src/bench/bench-child.js '<BenchChildConfig JSON>'
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { appendPooling } from '../model/pooling-graph.js';
import { runJob } from '../pipeline/run-job.js';
import { resolveJobOptions } from '../pipeline/job-options.js';
import { embedTask } from '../tasks/embed-task.js';
import { timeBareSession } from '../workers/bare-session.js';
import { childArgument, endOfMeasuredWork, finish, runChild } from './child.js';
import { readSubset } from '../io/corpus-subset.js';
import { sampleGpuMemory } from './gpu-memory.js';
import { padAll, pipelineBatches } from './pipeline-batches.js';

export interface BenchChildConfig {
  kind: 'pipeline' | 'bare';
  /** The rows (`id,text` CSV). */
  input: string;
  /** The model folder of the variant. */
  model: string;
  work: string;
  device: string;
  batchTokens: number;
  workers: number;
  /** Intra-op threads per pipeline worker (null: the device's default); the bare session gets workers × threads. */
  threads: number | null;
  maxLength: number | null;
}

const cfg = childArgument<BenchChildConfig>();

runChild(async () => {
  const job = resolveJobOptions({
    input: cfg.input, out: join(cfg.work, 'out'), model: cfg.model, device: cfg.device, batchTokens: cfg.batchTokens, workers: cfg.workers,
    ...(cfg.threads !== null ? { threads: cfg.threads } : {}), ...(cfg.maxLength !== null ? { maxLength: cfg.maxLength } : {}),
  });
  const gpu = job.device.ep === 'cpu' ? null : sampleGpuMemory();
  const { texts } = readSubset(cfg.input);
  if (cfg.kind === 'pipeline') {
    const t0 = performance.now();
    const s = await runJob(embedTask, {
      input: cfg.input, out: join(cfg.work, 'out'), model: cfg.model, variant: 'none', quiet: true, device: cfg.device,
      batchTokens: cfg.batchTokens, workers: cfg.workers, pooling: 'mean', normalize: true,
      ...(cfg.threads !== null ? { threads: cfg.threads } : {}), ...(cfg.maxLength !== null ? { maxLength: cfg.maxLength } : {}),
    });
    const wall = (performance.now() - t0) / 1000;
    endOfMeasuredWork();
    const gpuPeak = await gpu?.stop() ?? null;
    await rm(join(cfg.work, 'out'), { recursive: true, force: true });
    const formed = await pipelineBatches(cfg.model, texts, job);
    finish({
      system: 'pipeline', label: 'albert-pipeline runJob', rows: s.rows_out, real_tokens: s.tokens,
      padded_tokens: formed.padding.padded, padding_efficiency: formed.padding.real / formed.padding.padded,
      load_s: null, timed_s: wall, timing: 'the whole runJob call: start-up, CSV read, tokenize, infer, pool, Arrow write, manifest',
      docs_per_s: s.rows_out / wall, tokens_per_s: s.tokens / wall, batches: formed.rows.length, hidden: 0, embeddings_file: null,
      extra: { stages_ms: s.stages_ms, workers: job.workers, threads: job.threads, execution_provider: s.execution_provider, rows_rejected: s.rows_rejected, gpu_memory_peak_mib: gpuPeak },
    });
    return;
  }
  const formed = await pipelineBatches(cfg.model, texts, job);
  const batches = padAll(formed);
  const modelPath = join(cfg.model, 'model.onnx');
  // The workers' own graph: pooling appended, so only [batch, hidden] leaves the session.
  const pooled = appendPooling(new Uint8Array(await readFile(modelPath)), { pooling: 'mean', normalize: true });
  const threads = job.device.ep === 'cpu' ? job.workers * job.threads : job.threads;
  const run = await timeBareSession(pooled, modelPath, batches, 'sentence_embedding', { device: job.devices[0], threads });
  endOfMeasuredWork();
  const gpuPeak = await gpu?.stop() ?? null;
  finish({
    system: 'bare', label: 'bare ORT session', rows: texts.length, real_tokens: formed.padding.real, padded_tokens: formed.padding.padded,
    padding_efficiency: formed.padding.real / formed.padding.padded, load_s: run.load_s, timed_s: run.timed_s,
    timing: 'session.run over the same batches (pooling in the graph); excludes model load, tokenization and one warm-up run',
    docs_per_s: texts.length / run.timed_s, tokens_per_s: formed.padding.real / run.timed_s, batches: batches.length, hidden: 0, embeddings_file: null,
    extra: { threads, execution_provider: run.ep, gpu_memory_peak_mib: gpuPeak },
  });
});
