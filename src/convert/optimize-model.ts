/**
 * `albert optimize <model-dir> [<out-dir>] --int8 | --fp16 | --fuse`: a variant of a
 * model folder (ours or a torch export), written as a model folder every task takes as is
 * (config.json, tokenizer, model.onnx, variant.json), then checked against the fp32 model
 * on real rows (variant-report.json) unless told not to.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, ModelError, OptionError } from '../errors.js';
import { writeFileAtomic } from '../io/durable-file.js';
import { parseJsonText } from '../io/json-text.js';
import { packageInfo } from '../io/package-root.js';
import { sha256File } from '../io/durable-file.js';
import { parseAlbertConfig } from '../model/albert-config.js';
import { opHistogram } from '../model/onnx-graph-view.js';
import { decodeOnnxModel, encodeOnnxModel, valueInfoShape } from '../model/onnx-proto.js';
import { boolOption, checkKnownKeys, choiceOption, intOption, stringOption } from '../options.js';
import { checkOutDir, readTokenizerFiles } from './convert-model.js';
import { checkGraphVariantOptions, DEFAULT_INT8_WEIGHTS, makeGraphVariant } from './graph-variant.js';
import { relativeBase, VARIANT_FILE, VARIANT_REPORT_FILE, VARIANTS_DIR, type ModelVariant } from './model-variant.js';
import type { Int8WeightType } from './quantize-int8.js';
import { checkVariantAccuracy, summarizeReport, type VariantReport } from './variant-accuracy.js';
import { writeModelFolder, type FolderFile } from './write-model-folder.js';

export interface OptimizeOptions {
  /** Dynamic int8 quantization of the encoder's matrix products (CPU). */
  int8?: boolean;
  /** `int8-7bit` (default: fast on AVX2) or `uint8` (zero point 128: a little more accurate, slower). */
  int8Weights?: Int8WeightType;
  /** float16 weights and compute (GPU). */
  fp16?: boolean;
  /** `com.microsoft` fused Attention, SkipLayerNormalization, FastGelu. */
  fuse?: boolean;
  overwrite?: boolean;
  /** Take the tokenizer from this folder (default: the model folder). */
  tokenizerDir?: string;
  /** Compare the variant with the fp32 model on real rows (default true). */
  check?: boolean;
  /** CSV with a `text` column for the check (default: the bundled data/sample.csv). */
  checkData?: string;
  checkRows?: number;
  /** CSV with `text` and gold labels, for a classifier's accuracy. */
  labelled?: string;
  labelColumn?: string;
  /** Where the check runs (default cpu). */
  checkDevice?: string;
  onProgress?: (message: string) => void;
}

export interface ResolvedOptimizeOptions {
  readonly int8: boolean;
  readonly int8Weights: Int8WeightType;
  readonly fp16: boolean;
  readonly fuse: boolean;
  readonly overwrite: boolean;
  readonly tokenizerDir: string | null;
  readonly check: boolean;
  readonly checkData: string;
  readonly checkRows: number;
  readonly labelled: string | null;
  readonly labelColumn: string;
  readonly checkDevice: string;
  readonly onProgress: (message: string) => void;
}

const KEYS = ['int8', 'int8Weights', 'fp16', 'fuse', 'overwrite', 'tokenizerDir', 'check', 'checkData', 'checkRows', 'labelled', 'labelColumn', 'checkDevice', 'onProgress'];

/**
 * Resolves optimize options once.
 *
 * @throws OptionError `ALB_OPTION_UNKNOWN`, `ALB_OPTION_INVALID`, `ALB_OPTION_CONFLICT` (--int8 with --fp16), `ALB_OPTION_MISSING` (no variant asked for)
 * @example
 * ```ts
 * resolveOptimizeOptions({ int8: true }).int8Weights; // 'int8-7bit'
 * ```
 */
export function resolveOptimizeOptions(o: OptimizeOptions = {}): ResolvedOptimizeOptions {
  checkKnownKeys(o as Record<string, unknown>, KEYS, 'optimize options');
  const r = {
    int8: boolOption('--int8', o.int8, false),
    int8Weights: choiceOption('--int8-weights', o.int8Weights, ['int8-7bit', 'uint8'] as const, DEFAULT_INT8_WEIGHTS),
    fp16: boolOption('--fp16', o.fp16, false),
    fuse: boolOption('--fuse', o.fuse, false),
    overwrite: boolOption('--overwrite', o.overwrite, false),
    tokenizerDir: stringOption('--tokenizer', o.tokenizerDir, null),
    check: boolOption('--check', o.check, true),
    checkData: stringOption('--check-data', o.checkData, join(packageInfo().root, 'data', 'sample.csv')),
    checkRows: intOption('--check-rows', o.checkRows, 2000, 1, 10_000_000),
    labelled: stringOption('--labelled', o.labelled, null),
    labelColumn: stringOption('--label-column', o.labelColumn, 'label'),
    checkDevice: stringOption('--check-device', o.checkDevice, 'cpu'),
    onProgress: o.onProgress ?? (() => {}),
  };
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new OptionError('ALB_OPTION_INVALID', `option onProgress: expected a function, got ${describe(o.onProgress)}`, { option: 'onProgress' });
  if (!r.int8 && !r.fp16 && !r.fuse) throw new OptionError('ALB_OPTION_MISSING', 'optimize: pass --int8 (CPU), --fp16 (GPU) and/or --fuse', { option: '--int8' });
  checkGraphVariantOptions(r, 'optimize');
  return Object.freeze(r);
}

export interface OptimizeResult {
  readonly outDir: string;
  readonly variant: ModelVariant;
  readonly onnxBytes: number;
  readonly baseOnnxBytes: number;
  readonly report: VariantReport | null;
  readonly warnings: readonly string[];
}

/**
 * Makes a variant of a model folder. With no `outDir`, it goes to `<model-dir>/variants/<name>`,
 * where `--variant` finds it.
 *
 * @throws ModelError `ALB_MODEL_NOT_FOUND`, `ALB_MODEL_FILE_MISSING` (no config.json or model.onnx),
 *   `ALB_OPTIMIZE_UNSUPPORTED` (not an fp32 model, nothing to quantize), `ALB_CONVERT_MISSING_FILE` (no tokenizer);
 *   OutputError `ALB_CONVERT_OUT_EXISTS`, `ALB_CONVERT_WRITE`
 * @example
 * ```ts
 * const r = await optimizeModel('models/albert-mini', null, { int8: true, fuse: true });
 * r.outDir;                       // 'models/albert-mini/variants/int8-fused'
 * r.report?.embeddings?.min_cosine; // 0.999…
 * ```
 */
export async function optimizeModel(inDir: string, outDir: string | null, options: OptimizeOptions = {}): Promise<OptimizeResult> {
  const o = resolveOptimizeOptions(options);
  if (!existsSync(inDir)) throw new ModelError('ALB_MODEL_NOT_FOUND', `${inDir}: no such model folder`, { got: inDir });
  const configPath = join(inDir, 'config.json');
  const onnxPath = join(inDir, 'model.onnx');
  for (const [file, what] of [[configPath, 'config.json'], [onnxPath, 'model.onnx']]) {
    if (!existsSync(file)) throw new ModelError('ALB_MODEL_FILE_MISSING', `${inDir}: missing ${what}; optimize makes variants of a model folder (\`albert convert\` makes one from a checkpoint)`, { file });
  }
  const configText = await readFile(configPath);
  const config = parseAlbertConfig(parseJsonText(configText.toString('utf8'), configPath, 'ALB_MODEL_CONFIG_INVALID'), configPath);
  const tok = await readTokenizerFiles(o.tokenizerDir ?? inDir);
  const bytes = await readFile(onnxPath);
  const model = decodeOnnxModel(bytes, onnxPath);

  o.onProgress(`rewriting ${onnxPath} (${[o.fuse && 'fuse', o.int8 && `int8 (${o.int8Weights} weights)`, o.fp16 && 'fp16'].filter(Boolean).join(' + ')})`);
  const v = makeGraphVariant(model, { numHeads: config.numAttentionHeads, hiddenSize: config.hiddenSize }, o, onnxPath);
  const target = outDir ?? join(inDir, VARIANTS_DIR, v.name);
  checkOutDir(target, o.overwrite);
  const onnx = encodeOnnxModel(v.model);
  const variant: ModelVariant = {
    format: 'albert-model-variant/1',
    name: v.name,
    precision: v.precision,
    fused: v.name.endsWith('-fused'),
    int8_weights: o.int8 ? o.int8Weights : null,
    base: { path: relativeBase(target, inDir), onnx_sha256: await sha256File(onnxPath) },
    made_by: { command: 'optimize', tool_version: packageInfo().version, date: new Date().toISOString() },
    ops: opHistogram(v.model),
    fused_ops: v.fused ? { ...v.fused } : null,
    int8: v.int8,
    accuracy: null,
  };
  o.onProgress(`writing ${join(target, 'model.onnx')} (${(onnx.length / 1e6).toFixed(1)} MB, was ${(bytes.length / 1e6).toFixed(1)} MB)`);
  const files: FolderFile[] = [
    { name: 'config.json', data: configText },
    ...tok.files,
    { name: VARIANT_FILE, data: `${JSON.stringify(variant, null, 2)}\n` },
    { name: 'model.onnx', data: onnx },
  ];
  await writeModelFolder(target, files);

  let report: VariantReport | null = null;
  let final = variant;
  if (o.check) {
    o.onProgress(`checking ${v.name} against ${inDir} on ${o.checkRows} rows of ${o.checkData}${o.labelled ? ` and ${o.labelled}` : ''} (--no-check skips this)`);
    const outputs = model.graph.output.map((x) => ({ name: x.name, rank: valueInfoShape(x).dims.length }));
    report = await checkVariantAccuracy(resolve(inDir), resolve(target), outputs, {
      data: o.checkData, rows: o.checkRows, labelled: o.labelled, labelColumn: o.labelColumn, device: o.checkDevice,
      onProgress: (m) => o.onProgress(`check: ${m}`),
    }).catch((err: unknown) => {
      throw Object.assign(err as Error, { message: `${(err as Error).message} (while checking the variant written to ${target}; rerun with --no-check to keep it unchecked)` });
    });
    // Names, not this machine's absolute paths: the folder may be committed or moved.
    report = { ...report, variant: v.name, base: variant.base!.path };
    final = { ...variant, accuracy: { passed: report.passed, report: VARIANT_REPORT_FILE, summary: summarizeReport(report), checked_at: report.date } };
    await writeFileAtomic(join(target, VARIANT_REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`);
    await writeFileAtomic(join(target, VARIANT_FILE), `${JSON.stringify(final, null, 2)}\n`);
  }
  return Object.freeze({ outDir: target, variant: final, onnxBytes: onnx.length, baseOnnxBytes: bytes.length, report, warnings: Object.freeze([...v.warnings]) });
}
