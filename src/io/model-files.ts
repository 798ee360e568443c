import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ModelError } from '../errors.js';
import { sha256File } from './durable-file.js';
import { parseJsonText } from './json-text.js';

/** The raw files of an HF-style model folder, read but not interpreted. */
export interface ModelFiles {
  dir: string;
  name: string;
  config: unknown;
  /** Text of tokenizer.json, or `null` when the folder only has spiece.model. */
  tokenizerJson: string | null;
  spieceModel: Uint8Array | null;
  /** Parsed tokenizer_config.json, or `{}`. */
  tokenizerConfig: Record<string, unknown>;
  onnxPath: string;
  onnxSha256: string;
}

/**
 * Reads a model folder: `config.json`, `model.onnx`, and `tokenizer.json` or `spiece.model`.
 * Each missing file is named in the error, with the folder and the option that chose it.
 *
 * @example
 * ```ts
 * const files = await readModelFiles('models/albert-mini');
 * files.onnxSha256; // '3f1c…'
 * ```
 */
export async function readModelFiles(dirOption: string, option = '--model'): Promise<ModelFiles> {
  const dir = resolve(dirOption);
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) {
    throw new ModelError('ALB_MODEL_NOT_FOUND', `${option} ${dirOption}: no such model folder (expected config.json, model.onnx and tokenizer.json or spiece.model)`, { option, got: dirOption });
  }
  const missing = (file: string, extra = '') =>
    new ModelError('ALB_MODEL_FILE_MISSING', `${option} ${dirOption}: missing ${file}${extra}`, { option, got: dirOption, file });
  const configText = await readFile(join(dir, 'config.json'), 'utf8').catch(() => {
    throw missing('config.json');
  });
  const config = parseJsonText(configText, join(dir, 'config.json'), 'ALB_MODEL_CONFIG_INVALID');
  const onnxPath = join(dir, 'model.onnx');
  if (!(await stat(onnxPath).catch(() => null))?.isFile()) {
    throw missing('model.onnx', existsHint(dir));
  }
  const tokenizerJson = await readFile(join(dir, 'tokenizer.json'), 'utf8').catch(() => null);
  const spieceModel = tokenizerJson === null ? await readFile(join(dir, 'spiece.model')).catch(() => null) : null;
  if (tokenizerJson === null && spieceModel === null) throw missing('tokenizer.json (or spiece.model)');
  const tcText = await readFile(join(dir, 'tokenizer_config.json'), 'utf8').catch(() => null);
  const tokenizerConfig = tcText === null ? {} : (parseJsonText(tcText, join(dir, 'tokenizer_config.json'), 'ALB_MODEL_CONFIG_INVALID') as Record<string, unknown>);
  return {
    dir,
    name: basename(dir),
    config,
    tokenizerJson,
    spieceModel: spieceModel ? new Uint8Array(spieceModel.buffer, spieceModel.byteOffset, spieceModel.byteLength) : null,
    tokenizerConfig,
    onnxPath,
    onnxSha256: await sha256File(onnxPath),
  };
}

function existsHint(dir: string): string {
  return ` (a folder with only model.safetensors can be converted first: albert convert ${dir} <out-folder>)`;
}
