/**
 * `albert convert`: an HF ALBERT folder (config.json, model.safetensors, spiece.model
 * and/or tokenizer.json) in, a model folder the pipeline takes as is out
 * (config.json, model.onnx, tokenizer.json, spiece.model, tokenizer_config.json).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ModelError, OptionError, OutputError, describe } from '../errors.js';
import { ALBERT_ACTIVATIONS, parseAlbertConfig, type AlbertConfig } from '../model/albert-config.js';
import { parseJsonText } from '../io/json-text.js';
import { buildAlbertGraph, unsupportedActivation } from './albert-graph.js';
import { ALBERT_TASKS, loadAlbertWeights, taskFromArchitectures, type AlbertTask } from './albert-weights.js';
import { encodeOnnxModel } from '../model/onnx-proto.js';
import { countOnnxParameters } from './param-count.js';
import { parseSentencePieceModel } from '../model/sentencepiece-proto.js';
import { albertTokenizerOptionsFromConfig, buildAlbertTokenizerJson } from '../model/tokenizer-json.js';
import { combineTensorSources, SafetensorsFile, type TensorSource } from './safetensors-reader.js';
import { writeModelFolder, type FolderFile } from './write-model-folder.js';
import { boolOption, choiceOption } from '../options.js';
import { packageInfo } from '../io/package-root.js';
import { opHistogram } from '../model/onnx-graph-view.js';
import { checkGraphVariantOptions, DEFAULT_INT8_WEIGHTS, fusedOpCounts } from './graph-variant.js';
import { VARIANT_FILE, variantName, type ModelVariant, type VariantPrecision } from './model-variant.js';
import { quantizeInt8, type Int8WeightType } from './quantize-int8.js';

export interface ConvertOptions {
  /** Which head to export; default: from config.json `architectures`. */
  task?: AlbertTask;
  /** float16 weights and matmuls (see src/convert/fp16.ts). */
  fp16?: boolean;
  /** Emit fused `com.microsoft` ops (Attention, SkipLayerNormalization, FastGelu). */
  fuse?: boolean;
  /** Dynamic int8 quantization of the encoder (see src/convert/quantize-int8.ts). */
  int8?: boolean;
  int8Weights?: Int8WeightType;
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
  readonly fuse: boolean;
  readonly int8: boolean;
  readonly int8Weights: Int8WeightType;
  readonly overwrite: boolean;
  readonly tokenizerDir: string | undefined;
  readonly onProgress: (message: string) => void;
}

export interface ConvertResult {
  readonly outDir: string;
  readonly task: AlbertTask;
  readonly precision: VariantPrecision;
  /** The variant recorded in variant.json (`fp32`, `int8-fused`, …). */
  readonly variant: string;
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
  const r = {
    task: opts.task,
    fp16: boolOption('--fp16', opts.fp16, false),
    fuse: boolOption('--fuse', opts.fuse, false),
    int8: boolOption('--int8', opts.int8, false),
    int8Weights: choiceOption('--int8-weights', opts.int8Weights, ['int8-7bit', 'uint8'] as const, DEFAULT_INT8_WEIGHTS),
    overwrite: opts.overwrite ?? false,
    tokenizerDir: opts.tokenizerDir,
    onProgress: opts.onProgress ?? (() => {}),
  };
  checkGraphVariantOptions(r, 'convert');
  return Object.freeze(r);
}

/**
 * Converts an HF ALBERT checkpoint folder into an ONNX model folder.
 *
 * @throws ModelError `ALB_CONVERT_MISSING_FILE` (no config.json / weights / tokenizer),
 *   `ALB_CONVERT_MISSING_WEIGHT`, `ALB_CONVERT_WEIGHT_SHAPE`, `ALB_CONVERT_UNSUPPORTED`, `ALB_MODEL_CONFIG_INVALID`;
 *   OutputError `ALB_CONVERT_OUT_EXISTS` when out/model.onnx exists and `overwrite` is off,
 *   `ALB_CONVERT_WRITE` when the out folder cannot be written (then nothing of it is left)
 * @example
 * ```ts
 * const r = await convertModel('hf/albert-base-v2', 'models/albert-base', { task: 'base', fp16: true });
 * r.outputs; // ['last_hidden_state', 'pooler_output']
 * ```
 */
export async function convertModel(inDir: string, outDir: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  const o = resolveConvertOptions(options);
  const warnings: string[] = [];
  // Every input is read and checked before the slow part, and nothing is written until all
  // of it succeeded: a mistake (no tokenizer, a bad config) costs neither minutes nor a
  // half-written out folder.
  const configPath = join(inDir, 'config.json');
  const configText = await readRequired(configPath, 'config.json');
  const configJson = parseJsonText(configText.toString('utf8'), configPath, 'ALB_MODEL_CONFIG_INVALID') as Record<string, unknown>;
  const config = parseAlbertConfig(configJson, configPath);
  if (!(ALBERT_ACTIVATIONS as readonly string[]).includes(config.hiddenAct)) throw unsupportedActivation(config.hiddenAct);
  const task = o.task ?? taskFromArchitectures(config.architectures, configPath);
  checkOutDir(outDir, o.overwrite);
  const tokDir = o.tokenizerDir ?? inDir;
  const tok = await readTokenizerFiles(tokDir);
  if (!tok.files.some((f) => f.name === 'spiece.model')) warnings.push(`${tokDir} has no spiece.model; the out folder has tokenizer.json only`);

  const source = openWeights(inDir);
  let onnx: Uint8Array;
  let parameters: number;
  let outputs: readonly string[];
  let int8: ModelVariant['int8'] = null;
  let ops: Record<string, number> = {};
  try {
    o.onProgress(`reading ${source.source} (task ${task})`);
    const weights = loadAlbertWeights(source, config, task);
    o.onProgress(`building the ${task} graph (${config.numHiddenLayers} layers, ${config.numHiddenGroups} group(s) × ${config.innerGroupNum} inner)${o.fp16 ? ' in fp16' : ''}${o.fuse ? ', fused' : ''}`);
    let model = buildAlbertGraph(config, weights, { task, precision: o.fp16 ? 'fp16' : 'fp32', fuse: o.fuse });
    if (o.int8) {
      const q = quantizeInt8(model, o.int8Weights);
      o.onProgress(`int8: ${q.nodes} nodes, ${q.weights} weights (${o.int8Weights})`);
      model = q.model;
      int8 = { nodes: q.nodes, weights: q.weights };
    }
    ops = opHistogram(model);
    outputs = model.graph.output.map((v) => v.name);
    if (task === 'base' && !weights.pooler) warnings.push(`${source.source} has no pooler weights; model.onnx has no pooler_output`);
    parameters = countOnnxParameters(model);
    onnx = encodeOnnxModel(model);
  } finally {
    source.close?.();
  }

  o.onProgress(`writing ${join(outDir, 'model.onnx')} (${(onnx.length / 1e6).toFixed(1)} MB, ${parameters} parameters)`);
  const precision: VariantPrecision = o.int8 ? 'int8' : o.fp16 ? 'fp16' : 'fp32';
  const variant: ModelVariant = {
    format: 'albert-model-variant/1', name: variantName(precision, o.fuse), precision, fused: o.fuse, int8_weights: o.int8 ? o.int8Weights : null, base: null,
    made_by: { command: 'convert', tool_version: packageInfo().version, date: new Date().toISOString() },
    ops, fused_ops: o.fuse ? fusedOpCounts(ops) : null, int8, accuracy: null,
  };
  const files: FolderFile[] = [
    { name: 'config.json', data: configFor(configText, configJson, config, task) }, ...tok.files,
    { name: VARIANT_FILE, data: `${JSON.stringify(variant, null, 2)}\n` }, { name: 'model.onnx', data: onnx },
  ];
  await writeModelFolder(outDir, files);
  return Object.freeze({
    outDir, task, precision, variant: variant.name, outputs: Object.freeze(outputs), parameters,
    onnxBytes: onnx.length, tokenizer: tok.tokenizer, files: Object.freeze(['model.onnx', ...files.slice(0, -1).map((f) => f.name)]), warnings: Object.freeze(warnings),
  });
}

/** Refuses an out folder that is a file, or that holds a model already (unless overwrite). */
export function checkOutDir(outDir: string, overwrite: boolean): void {
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) {
    throw new OutputError('ALB_CONVERT_WRITE', `cannot write the model folder ${outDir}: it is a file, not a folder`, { path: outDir });
  }
  const onnxPath = join(outDir, 'model.onnx');
  if (!overwrite && existsSync(onnxPath)) {
    throw new OutputError('ALB_CONVERT_OUT_EXISTS', `${onnxPath} exists; pass --overwrite to replace it`, { path: onnxPath });
  }
}

/**
 * The tokenizer files of the out folder: tokenizer.json as is, or built from spiece.model
 * (and tokenizer_config.json's special tokens), plus the files that travel with it. Read
 * and rewritten, not copied: a copy would keep the source's read-only mode.
 */
export async function readTokenizerFiles(tokDir: string): Promise<{ files: FolderFile[]; tokenizer: ConvertResult['tokenizer'] }> {
  const tokenizerConfigPath = join(tokDir, 'tokenizer_config.json');
  const files: FolderFile[] = [];
  let tokenizer: ConvertResult['tokenizer'];
  if (existsSync(join(tokDir, 'tokenizer.json'))) {
    files.push({ name: 'tokenizer.json', data: await readFile(join(tokDir, 'tokenizer.json')) });
    tokenizer = 'copied';
  } else if (existsSync(join(tokDir, 'spiece.model'))) {
    const spmPath = join(tokDir, 'spiece.model');
    const spm = parseSentencePieceModel(await readFile(spmPath), spmPath);
    const tokConfig = existsSync(tokenizerConfigPath)
      ? parseJsonText(await readFile(tokenizerConfigPath, 'utf8'), tokenizerConfigPath, 'ALB_MODEL_CONFIG_INVALID') as Record<string, unknown> : {};
    files.push({ name: 'tokenizer.json', data: JSON.stringify(buildAlbertTokenizerJson(spm, albertTokenizerOptionsFromConfig(tokConfig))) });
    tokenizer = 'built from spiece.model';
  } else {
    throw new ModelError('ALB_CONVERT_MISSING_FILE',
      `${tokDir} has neither tokenizer.json nor spiece.model; the model folder needs a tokenizer (point --tokenizer at a folder that has one)`, { path: tokDir });
  }
  for (const name of ['spiece.model', 'tokenizer_config.json', 'special_tokens_map.json']) {
    if (existsSync(join(tokDir, name))) files.push({ name, data: await readFile(join(tokDir, name)) });
  }
  return { files, tokenizer };
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

