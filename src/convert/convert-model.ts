/**
 * `albert convert`: an HF ALBERT folder (config.json, model.safetensors, spiece.model
 * and/or tokenizer.json) in, a model folder the pipeline takes as is out
 * (config.json, model.onnx, tokenizer.json, spiece.model, tokenizer_config.json).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ModelError, OptionError, OutputError, describe } from '../errors.js';
import { ALBERT_ACTIVATIONS, parseAlbertConfig, type AlbertConfig } from '../model/albert-config.js';
import { writeFileAtomic } from '../io/durable-file.js';
import { parseJsonText } from '../io/json-text.js';
import { buildAlbertGraph, unsupportedActivation } from './albert-graph.js';
import { ALBERT_TASKS, loadAlbertWeights, taskFromArchitectures, type AlbertTask } from './albert-weights.js';
import { encodeOnnxModel } from '../model/onnx-proto.js';
import { countOnnxParameters } from './param-count.js';
import { parseSentencePieceModel } from '../model/sentencepiece-proto.js';
import { albertTokenizerOptionsFromConfig, buildAlbertTokenizerJson } from '../model/tokenizer-json.js';
import { combineTensorSources, SafetensorsFile, type TensorSource } from './safetensors-reader.js';

export interface ConvertOptions {
  /** Which head to export; default: from config.json `architectures`. */
  task?: AlbertTask;
  /** float16 weights and matmuls (see src/convert/fp16.ts). */
  fp16?: boolean;
  /** Replace an existing model.onnx in the out folder. */
  overwrite?: boolean;
  /** Folder with tokenizer.json / spiece.model / tokenizer_config.json; default: the input folder. */
  tokenizerDir?: string;
  /** Progress lines (the CLI prints them to stderr). */
  onProgress?: (message: string) => void;
}

export interface ResolvedConvertOptions {
  readonly task: AlbertTask | undefined;
  readonly fp16: boolean;
  readonly overwrite: boolean;
  readonly tokenizerDir: string | undefined;
  readonly onProgress: (message: string) => void;
}

export interface ConvertResult {
  readonly outDir: string;
  readonly task: AlbertTask;
  readonly precision: 'fp32' | 'fp16';
  readonly outputs: readonly string[];
  readonly parameters: number;
  readonly onnxBytes: number;
  readonly tokenizer: 'copied' | 'built from spiece.model';
  readonly files: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Resolves convert options once, checking `task`.
 *
 * @example
 * ```ts
 * resolveConvertOptions({ fp16: true }).overwrite; // false
 * ```
 */
export function resolveConvertOptions(opts: ConvertOptions = {}): ResolvedConvertOptions {
  if (opts.task !== undefined && !ALBERT_TASKS.includes(opts.task)) {
    throw new OptionError('ALB_OPTION_INVALID', `option --task: expected one of ${ALBERT_TASKS.join(', ')}, got ${describe(opts.task)}`, { option: 'task' });
  }
  return Object.freeze({
    task: opts.task,
    fp16: opts.fp16 ?? false,
    overwrite: opts.overwrite ?? false,
    tokenizerDir: opts.tokenizerDir,
    onProgress: opts.onProgress ?? (() => {}),
  });
}

/**
 * Converts an HF ALBERT checkpoint folder into an ONNX model folder.
 *
 * @throws ModelError `ALB_CONVERT_MISSING_FILE` (no config.json / weights / tokenizer),
 *   `ALB_CONVERT_MISSING_WEIGHT`, `ALB_CONVERT_WEIGHT_SHAPE`, `ALB_CONVERT_UNSUPPORTED`, `ALB_MODEL_CONFIG_INVALID`;
 *   OutputError `ALB_CONVERT_OUT_EXISTS` when out/model.onnx exists and `overwrite` is off
 * @example
 * ```ts
 * const r = await convertModel('hf/albert-base-v2', 'models/albert-base', { task: 'base', fp16: true });
 * r.outputs; // ['last_hidden_state', 'pooler_output']
 * ```
 */
export async function convertModel(inDir: string, outDir: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  const o = resolveConvertOptions(options);
  const warnings: string[] = [];
  const configPath = join(inDir, 'config.json');
  const configText = await readRequired(configPath, 'config.json');
  const configJson = parseJsonText(configText.toString('utf8'), configPath, 'ALB_MODEL_CONFIG_INVALID') as Record<string, unknown>;
  const config = parseAlbertConfig(configJson, configPath);
  if (!(ALBERT_ACTIVATIONS as readonly string[]).includes(config.hiddenAct)) throw unsupportedActivation(config.hiddenAct);
  const task = o.task ?? taskFromArchitectures(config.architectures, configPath);
  const onnxPath = join(outDir, 'model.onnx');
  if (!o.overwrite && existsSync(onnxPath)) {
    throw new OutputError('ALB_CONVERT_OUT_EXISTS', `${onnxPath} exists; pass --overwrite to replace it`, { path: onnxPath });
  }

  const source = openWeights(inDir);
  let onnx: Uint8Array;
  let parameters: number;
  let outputs: readonly string[];
  try {
    o.onProgress(`reading ${source.source} (task ${task})`);
    const weights = loadAlbertWeights(source, config, task);
    o.onProgress(`building the ${task} graph (${config.numHiddenLayers} layers, ${config.numHiddenGroups} group(s) × ${config.innerGroupNum} inner)${o.fp16 ? ' in fp16' : ''}`);
    const model = buildAlbertGraph(config, weights, { task, precision: o.fp16 ? 'fp16' : 'fp32' });
    outputs = model.graph.output.map((v) => v.name);
    if (task === 'base' && !weights.pooler) warnings.push(`${source.source} has no pooler weights; model.onnx has no pooler_output`);
    parameters = countOnnxParameters(model);
    onnx = encodeOnnxModel(model);
  } finally {
    source.close?.();
  }

  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  const put = async (name: string, data: Uint8Array | string): Promise<void> => {
    const dest = join(outDir, name);
    try {
      await writeFileAtomic(dest, data, `${dest}.tmp-${process.pid}`);
    } catch (err) {
      throw new OutputError('ALB_CONVERT_WRITE', `cannot write ${dest}: ${(err as Error).message}`, { path: dest }, { cause: err });
    }
    files.push(name);
  };
  o.onProgress(`writing ${onnxPath} (${(onnx.length / 1e6).toFixed(1)} MB, ${parameters} parameters)`);
  await put('model.onnx', onnx);
  await put('config.json', configFor(configText, configJson, config, task));

  const tokDir = o.tokenizerDir ?? inDir;
  const tokenizerConfigPath = join(tokDir, 'tokenizer_config.json');
  let tokenizer: ConvertResult['tokenizer'];
  if (existsSync(join(tokDir, 'tokenizer.json'))) {
    await put('tokenizer.json', await readFile(join(tokDir, 'tokenizer.json')));
    tokenizer = 'copied';
  } else if (existsSync(join(tokDir, 'spiece.model'))) {
    const spmPath = join(tokDir, 'spiece.model');
    const spm = parseSentencePieceModel(await readFile(spmPath), spmPath);
    const tokConfig = existsSync(tokenizerConfigPath)
      ? parseJsonText(await readFile(tokenizerConfigPath, 'utf8'), tokenizerConfigPath, 'ALB_MODEL_CONFIG_INVALID') as Record<string, unknown> : {};
    await put('tokenizer.json', JSON.stringify(buildAlbertTokenizerJson(spm, albertTokenizerOptionsFromConfig(tokConfig))));
    tokenizer = 'built from spiece.model';
  } else {
    throw new ModelError('ALB_CONVERT_MISSING_FILE',
      `${tokDir} has neither tokenizer.json nor spiece.model; the model folder needs a tokenizer (point --tokenizer at a folder that has one)`, { path: tokDir });
  }
  for (const name of ['spiece.model', 'tokenizer_config.json', 'special_tokens_map.json']) {
    // Read and rewritten, not copied: a copy would keep the source's read-only mode.
    if (existsSync(join(tokDir, name))) await put(name, await readFile(join(tokDir, name)));
  }
  if (!files.includes('spiece.model')) warnings.push(`${tokDir} has no spiece.model; the out folder has tokenizer.json only`);
  return Object.freeze({
    outDir, task, precision: o.fp16 ? 'fp16' : 'fp32', outputs: Object.freeze(outputs), parameters,
    onnxBytes: onnx.length, tokenizer, files: Object.freeze(files), warnings: Object.freeze(warnings),
  });
}

const TASK_ARCHITECTURE: Record<AlbertTask, string> = {
  base: 'AlbertModel', mlm: 'AlbertForMaskedLM', cls: 'AlbertForSequenceClassification', pretraining: 'AlbertForPreTraining',
};

/**
 * config.json for the out folder: the original bytes when its `architectures` already
 * names the task; otherwise `architectures` rewritten, so readers of the folder infer
 * the task the graph really has.
 */
function configFor(original: Buffer, json: Record<string, unknown>, config: AlbertConfig, task: AlbertTask): Uint8Array | string {
  const arch = TASK_ARCHITECTURE[task];
  if (config.architectures[0] === arch) return original;
  return `${JSON.stringify({ ...json, architectures: [arch] }, null, 2)}\n`;
}

async function readRequired(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ModelError('ALB_CONVERT_MISSING_FILE', `cannot read ${what} at ${path}: ${(err as Error).message}`, { path }, { cause: err });
  }
}

/** model.safetensors, or the shards listed by model.safetensors.index.json. */
function openWeights(dir: string): TensorSource & { close?: () => void } {
  const single = join(dir, 'model.safetensors');
  if (existsSync(single)) return SafetensorsFile.open(single);
  const index = join(dir, 'model.safetensors.index.json');
  if (existsSync(index)) {
    const weightMap = (parseJsonText(readFileSync(index, 'utf8'), index, 'ALB_SAFETENSORS_INVALID') as { weight_map?: Record<string, string> } | null)?.weight_map;
    if (typeof weightMap !== 'object' || weightMap === null) throw new ModelError('ALB_SAFETENSORS_INVALID', `${index}: no weight_map`, { file: index });
    const shards = [...new Set(Object.values(weightMap))].map((f) => SafetensorsFile.open(join(dirname(index), f)));
    return Object.assign(combineTensorSources(shards, index), { close: () => shards.forEach((s) => s.close()) });
  }
  const hint = existsSync(join(dir, 'pytorch_model.bin')) ? ' (pytorch_model.bin is not read: save the model with safe_serialization=True)' : '';
  throw new ModelError('ALB_CONVERT_MISSING_FILE', `${dir} has no model.safetensors${hint}`, { path: dir });
}

