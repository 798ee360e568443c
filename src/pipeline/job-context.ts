import { resolve } from 'node:path';
import { AlbertError, OptionError, optionError } from '../errors.js';
import { packageInfo } from '../io/package-root.js';
import type { AlbertTokenizer } from '../model/albert-tokenizer.js';
import { checkModelInputs, type ModelSpec } from '../model/model-spec.js';
import type { TaskContext, TaskDefinition, TaskPlan } from '../tasks/task.js';
import type { DescribeResponse } from '../workers/protocol.js';
import { faultPlanFromEnv, type FaultPlan } from './fault-plan.js';
import { resolveJobOptions, type JobOptions, type ResolvedJobOptions } from './job-options.js';
import { bundledModel, loadModel, makeTokenizer, type LoadedModel } from './load-model.js';
import { longFingerprint, longPolicy, type LongPolicy } from './long-options.js';
import { splitTaskOptions } from './task-options.js';
import { InferencePool } from './worker-pool.js';
import { chooseVariant } from './choose-variant.js';
import { providerOf, type DeviceChoice, type ExecutionProvider } from '../workers/execution-providers.js';

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
  /** What happens to rows longer than the max length, every number resolved. */
  long: LongPolicy;
  /** Options that shape the output bytes (input excluded: a sharded job has many). */
  fingerprint: Record<string, unknown>;
  /** Test-only (ALBERT_FAULT_*_ROW); null in every real run. */
  faults: FaultPlan | null;
  close(): Promise<void>;
}

/**
 * Resolves options (refusing unknown keys), loads the model, starts the pool and asks one
 * worker what the model is. Fails fast and loudly (bad option, missing file, CUDA
 * unavailable, wrong model for the task) before any input is read or output written.
 */
export async function openJobContext<O>(
  task: TaskDefinition<O>,
  options: JobOptions & Record<string, unknown>,
  /** Runs once the options are valid, before the model loads: where a job takes its output's lock. */
  resolved?: (job: ResolvedJobOptions) => Promise<void>,
): Promise<JobContext> {
  const split = splitTaskOptions(task, options);
  const taskOptions = task.resolveOptions(split.task);
  const job = resolveJobOptions(split.job, task.jobDefaults?.(taskOptions));
  if (task.requiresPairs && !job.read.textBColumn) {
    throw new OptionError('ALB_OPTION_MISSING', `\`${task.name}\` works on pairs: pass --text-b-column (and --text-a-column) naming the second segment`, { option: '--text-b-column' });
  }
  if (job.long.mode === 'split' && job.read.textBColumn) {
    throw new OptionError('ALB_OPTION_CONFLICT', 'option --long split cuts one text into windows; with --text-b-column each row is a pair, which has no one way to be cut: use --long truncate or reject', { option: '--long' });
  }
  await resolved?.(job);
  const folder = job.model ?? bundledModel(task.defaultModel);
  const chosen = await chooseVariant(folder, job.variant, variantProvider(job.device));
  if (chosen.note && !job.quiet) job.log.write(`albert: ${chosen.note}\n`);
  const model = await loadModel(chosen.dir, job.model === null ? task.name : null);
  const tokenizer = makeTokenizer(model, job.maxLength);
  if (job.batchTokens < tokenizer.maxLength) {
    throw optionError('--batch-tokens', job.batchTokens, `at least the max length (${tokenizer.maxLength}), so the longest row fits a batch`);
  }
  const long = longPolicy(job.long, tokenizer.maxLength);
  const pool = new InferencePool({
    modelPath: model.files.onnxPath,
    devices: job.devices,
    workersPerDevice: job.workers,
    intraOpThreads: job.threads,
    graphPooling: task.graphPooling?.(taskOptions, { split: long.mode === 'split' }) ?? null,
    layer: task.graphLayer?.(taskOptions) ?? 'last',
    queuePerWorker: job.queuePerWorker,
    batchTimeoutMs: job.batchTimeoutMs,
  });
  try {
    const described = await pool.describe();
    const v = chosen.variant;
    const spec: ModelSpec = {
      ...model.config, name: chosen.name, onnxSha256: model.files.onnxSha256, inputs: described.inputs, outputs: described.outputs,
      variant: v ? { name: v.name, precision: v.precision, fused: v.fused, chosen_by: chosen.chosenBy } : null,
    };
    checkModelInputs(spec);
    const toolVersion = packageInfo().version;
    const ctx: TaskContext = { spec, tokenizer, maxLength: tokenizer.maxLength, toolVersion, pairs: job.read.textBColumn !== undefined, long };
    const plan = task.plan(ctx, taskOptions);
    if (long.mode === 'split' && !plan.mergesChunks) {
      throw new OptionError('ALB_OPTION_CONFLICT', `option --long split: \`${task.name}\`${task.name === 'embed' ? ' with these options' : ''} cannot merge a document's windows into one row; use --long truncate or reject`, { option: '--long', task: task.name });
    }
    const unwritable = job.output.cannotWrite?.(plan.schema);
    if (unwritable) throw optionError('--output-format', job.output.name, `a format that can hold the columns of \`${task.name}\` (${unwritable})`);
    await checkHeadModule(task.name, plan.head.module);
    if (described.fallbackReason && !job.quiet) job.log.write(`albert: --device auto: ${described.fallbackReason}; running on the CPU\n`);
    const { read } = job;
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
      long,
      fingerprint: {
        task: task.name,
        model_sha256: spec.onnxSha256,
        format: read.format,
        text_column: read.textColumn,
        text_b_column: read.textBColumn ?? null,
        id_column: read.idColumn,
        keep_empty: read.keepEmpty,
        max_record_bytes: read.maxRecordBytes,
        max_length: tokenizer.maxLength,
        batch_tokens: job.batchTokens,
        window_rows: job.windowRows,
        output_format: job.output.name,
        ...longFingerprint(long),
        ...task.fingerprint(taskOptions),
      },
      faults: faultPlanFromEnv(process.env),
      close: () => pool.close(),
    };
  } catch (err) {
    await pool.close();
    throw err;
  }
}

/** A task's head module must load here before a worker is asked to: a typo in a user task fails once, not per batch. */
async function checkHeadModule(task: string, module: string): Promise<void> {
  let mod: { postprocess?: unknown };
  try {
    mod = (await import(module)) as { postprocess?: unknown };
  } catch (err) {
    throw new AlbertError('ALB_TASK_INVALID', `task ${task}: its head module ${module} cannot be imported: ${(err as Error).message}`, { task, module });
  }
  if (typeof mod.postprocess !== 'function') {
    throw new AlbertError('ALB_TASK_INVALID', `task ${task}: its head module ${module} exports no postprocess(params, output, dims, batch) function`, { task, module });
  }
}

export function inputIdentity(input: ResolvedJobOptions['input']): string {
  return typeof input === 'string' && input !== '-' ? resolve(input) : '<stream>';
}

/**
 * Whose variant preferences the choice follows. With --device auto the variant is chosen
 * before we know whether CUDA loads, so the provider's default only suggests: picking
 * CUDA's fp16 variant and then falling back to the CPU would run fp16 there, slower and
 * less exact than the fp32 model, under a manifest saying the device chose it.
 */
function variantProvider(device: DeviceChoice): ExecutionProvider {
  const ep = providerOf(device);
  if (!device.fallbackToCpu || ep.variants.byDefault !== 'pick') return ep;
  return { ...ep, variants: { ...ep.variants, byDefault: 'suggest' } };
}
