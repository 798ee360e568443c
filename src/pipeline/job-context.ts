import { resolve } from 'node:path';
import { OptionError, optionError } from '../errors.js';
import { packageInfo } from '../io/package-root.js';
import type { AlbertTokenizer } from '../model/albert-tokenizer.js';
import { checkModelInputs, type ModelSpec } from '../model/model-spec.js';
import { resolveJobOptions, type JobOptions, type ResolvedJobOptions } from './job-options.js';
import { bundledModel, loadModel, makeTokenizer, type LoadedModel } from './load-model.js';
import type { TaskContext, TaskDefinition, TaskPlan } from '../tasks/task.js';
import { InferencePool } from './worker-pool.js';
import type { DescribeResponse } from '../workers/protocol.js';

/** Everything a run needs once: options, model, tokenizer, worker pool and the task's plan. */
export interface JobContext {
  taskName: string;
  job: ResolvedJobOptions;
  model: LoadedModel;
  tokenizer: AlbertTokenizer;
  pool: InferencePool;
  described: DescribeResponse;
  spec: ModelSpec;
  plan: TaskPlan;
  toolVersion: string;
  /** Options that shape the output bytes (input excluded: a sharded job has many). */
  fingerprint: Record<string, unknown>;
  close(): Promise<void>;
}

/**
 * Resolves options, loads the model, starts the pool and asks one worker what the model
 * is. Fails fast and loudly (bad option, missing file, CUDA unavailable, wrong model for
 * the task) before any input is read or output written.
 */
export async function openJobContext<O>(task: TaskDefinition<O>, options: JobOptions & Record<string, unknown>): Promise<JobContext> {
  const job = resolveJobOptions(options);
  const taskOptions = task.resolveOptions(options);
  if (task.requiresPairs && !job.textBColumn) {
    throw new OptionError('ALB_OPTION_MISSING', `\`${task.name}\` works on pairs: pass --text-b-column (and --text-a-column) naming the second segment`, { option: '--text-b-column' });
  }
  const model = await loadModel(job.model ?? bundledModel(task.defaultModel), job.model === null ? task.name : null);
  const tokenizer = makeTokenizer(model, job.maxLength);
  if (job.batchTokens < tokenizer.maxLength) {
    throw optionError('--batch-tokens', job.batchTokens, `at least the max length (${tokenizer.maxLength}), so the longest row fits a batch`);
  }
  const pool = new InferencePool({
    modelPath: model.files.onnxPath,
    devices: job.devices,
    workersPerDevice: job.workers,
    intraOpThreads: job.threads,
    graphPooling: task.graphPooling?.(taskOptions) ?? null,
    queuePerWorker: job.device.kind === 'cuda' ? 3 : 2,
    batchTimeoutMs: job.batchTimeoutMs,
  });
  try {
    const described = await pool.describe();
    const spec: ModelSpec = { ...model.config, name: model.files.name, onnxSha256: model.files.onnxSha256, inputs: described.inputs, outputs: described.outputs };
    checkModelInputs(spec);
    const toolVersion = packageInfo().version;
    const ctx: TaskContext = { spec, tokenizer, maxLength: tokenizer.maxLength, toolVersion, pairs: job.textBColumn !== null };
    const plan = task.plan(ctx, taskOptions);
    if (described.fallbackReason && !job.quiet) job.log.write(`albert: --device auto: ${described.fallbackReason}; running on the CPU\n`);
    return {
      taskName: task.name,
      job,
      model,
      tokenizer,
      pool,
      described,
      spec,
      plan,
      toolVersion,
      fingerprint: {
        task: task.name,
        model_sha256: spec.onnxSha256,
        format: job.format,
        text_column: job.textColumn,
        text_b_column: job.textBColumn,
        id_column: job.idColumn,
        keep_empty: job.keepEmpty,
        max_record_bytes: job.maxRecordBytes,
        max_length: tokenizer.maxLength,
        batch_tokens: job.batchTokens,
        window_rows: job.windowRows,
        ...task.fingerprint(taskOptions),
      },
      close: () => pool.close(),
    };
  } catch (err) {
    await pool.close();
    throw err;
  }
}

export function inputIdentity(input: ResolvedJobOptions['input']): string {
  return typeof input === 'string' && input !== '-' ? resolve(input) : '<stream>';
}
