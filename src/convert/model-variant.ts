/**
 * A model folder's variant (fp32, fp16 or int8; fused or not), recorded in `variant.json`
 * by `albert convert` and `albert optimize`, so that `inspect`, a job's manifest and the
 * Arrow metadata say what ran without guessing from the graph; and the folder's variants
 * under `variants/<name>/`, which `--variant` chooses from.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ModelError } from '../errors.js';
import { parseJsonText } from '../io/json-text.js';
import type { Int8WeightType } from './quantize-int8.js';

export const VARIANT_FILE = 'variant.json';
export const VARIANT_REPORT_FILE = 'variant-report.json';
/** Where `albert optimize` puts a folder's variants when no out folder is given. */
export const VARIANTS_DIR = 'variants';

export type VariantPrecision = 'fp32' | 'fp16' | 'int8';

export interface VariantAccuracySummary {
  /** Every target met (see variant-report.json for the figures). */
  readonly passed: boolean;
  readonly report: string;
  /** One line: the figures and the targets missed. */
  readonly summary: string;
  readonly checked_at: string;
}

export interface ModelVariant {
  readonly format: 'albert-model-variant/1';
  readonly name: string;
  readonly precision: VariantPrecision;
  readonly fused: boolean;
  readonly int8_weights: Int8WeightType | null;
  /** The fp32 folder this one was made from (a path relative to this folder) and its model.onnx's sha256; null when made from a checkpoint. */
  readonly base: { readonly path: string; readonly onnx_sha256: string } | null;
  readonly made_by: { readonly command: string; readonly tool_version: string; readonly date: string };
  readonly ops: Readonly<Record<string, number>>;
  readonly fused_ops: Readonly<Record<string, number>> | null;
  readonly int8: { readonly nodes: number; readonly weights: number } | null;
  readonly accuracy: VariantAccuracySummary | null;
}

/** `fp32`, `fp32-fused`, `int8`, `int8-fused`, `fp16`, `fp16-fused`. */
export function variantName(precision: VariantPrecision, fused: boolean): string {
  return fused ? `${precision}-fused` : precision;
}

/** A variant in words: `int8 (7-bit int8 weights), fused`. */
export function describeVariant(v: Pick<ModelVariant, 'precision' | 'fused' | 'int8_weights'>): string {
  const weights = v.int8_weights === 'uint8' ? ' (uint8 weights)' : v.int8_weights === 'int8-7bit' ? ' (7-bit int8 weights)' : '';
  return `${v.precision}${weights}${v.fused ? ', fused' : ''}`;
}

/**
 * The folder's variant.json, or null when it has none (a folder from before variants,
 * or a torch export: its graph is fp32 and unfused unless `inspect` sees otherwise).
 *
 * @throws ModelError `ALB_MODEL_CONFIG_INVALID` when variant.json is there but unreadable
 * @example
 * ```ts
 * readModelVariant('models/albert-mini/variants/int8')?.precision; // 'int8'
 * ```
 */
export function readModelVariant(dir: string): ModelVariant | null {
  const file = join(dir, VARIANT_FILE);
  if (!existsSync(file)) return null;
  const v = parseJsonText(readFileSync(file, 'utf8'), file, 'ALB_MODEL_CONFIG_INVALID') as Partial<ModelVariant> | null;
  if (!v || v.format !== 'albert-model-variant/1' || !['fp32', 'fp16', 'int8'].includes(v.precision ?? '') || typeof v.fused !== 'boolean' || typeof v.name !== 'string') {
    throw new ModelError('ALB_MODEL_CONFIG_INVALID', `${file}: not an albert-model-variant/1 record (format, name, precision fp32|fp16|int8, fused)`, { file });
  }
  return v as ModelVariant;
}

export interface FoundVariant {
  readonly dir: string;
  readonly variant: ModelVariant;
}

/**
 * The variants of a model folder: each `variants/<name>/` holding a model.onnx and a
 * variant.json, sorted by name. A folder whose variant.json cannot be read (damaged, or
 * from a newer version) is handed to `broken` and left out; without `broken` it throws.
 *
 * @throws ModelError `ALB_MODEL_CONFIG_INVALID` for an unreadable variant.json, without `broken`
 * @example
 * ```ts
 * listVariants('models/albert-mini').map((v) => v.variant.name); // ['int8', 'int8-fused']
 * ```
 */
export function listVariants(modelDir: string, broken?: (dir: string, err: Error) => void): FoundVariant[] {
  const root = join(modelDir, VARIANTS_DIR);
  if (!existsSync(root) || !statSync(root).isDirectory()) return [];
  const found: FoundVariant[] = [];
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    try {
      if (!statSync(dir).isDirectory() || !existsSync(join(dir, 'model.onnx'))) continue;
      const variant = readModelVariant(dir);
      if (variant) found.push({ dir, variant });
    } catch (err) {
      if (!broken) throw err;
      broken(dir, err as Error);
    }
  }
  return found;
}

/**
 * The variant's base folder, resolved from the recorded relative path.
 *
 * @example
 * ```ts
 * baseFolder('models/albert-mini/variants/int8', v); // '/…/models/albert-mini'
 * ```
 */
export function baseFolder(dir: string, v: ModelVariant): string | null {
  return v.base ? resolve(dir, v.base.path) : null;
}

/** The relative path recorded as `base.path`. */
export function relativeBase(variantDir: string, baseDir: string): string {
  return relative(resolve(variantDir), resolve(baseDir)) || '.';
}
