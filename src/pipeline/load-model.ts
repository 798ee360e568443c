import { join } from 'node:path';
import { AlbertTokenizer } from '../model/albert-tokenizer.js';
import { parseAlbertConfig, type AlbertConfig } from '../model/albert-config.js';
import { parseSentencePieceModel } from '../model/sentencepiece-proto.js';
import { albertTokenizerOptionsFromConfig, buildAlbertTokenizerJson } from '../model/tokenizer-json.js';
import { readModelFiles, type ModelFiles } from '../io/model-files.js';
import { packageInfo } from '../io/package-root.js';
import { ModelError, optionError } from '../errors.js';
import { headMaxLength } from './training-report.js';

export interface LoadedModel {
  files: ModelFiles;
  config: AlbertConfig;
  /** The tokenizer.json text in use (built from spiece.model when the folder has only that). */
  tokenizerJson: string;
}

/** The bundled model folder for a task, e.g. `<package>/models/albert-mini`. */
export function bundledModel(name: string): string {
  return join(packageInfo().root, 'models', name);
}

/**
 * Reads the model folder and its tokenizer definition; the session is made in the workers.
 * `bundledFor` names the task when `dir` is that task's bundled default, so a missing
 * default says which model to pass instead.
 */
export async function loadModel(dir: string, bundledFor: string | null = null): Promise<LoadedModel> {
  const files = await readModelFiles(dir).catch((err: unknown) => {
    if (bundledFor && (err as ModelError).code === 'ALB_MODEL_NOT_FOUND') {
      throw new ModelError('ALB_MODEL_NOT_FOUND', `\`${bundledFor}\` has no bundled model at ${dir}; pass --model <dir> with a suitable model folder`, { option: '--model' });
    }
    throw err;
  });
  const config = parseAlbertConfig(files.config, join(files.dir, 'config.json'));
  const tokenizerJson =
    files.tokenizerJson ??
    JSON.stringify(buildAlbertTokenizerJson(parseSentencePieceModel(files.spieceModel!, join(files.dir, 'spiece.model')), albertTokenizerOptionsFromConfig(files.tokenizerConfig)));
  return { files, config, tokenizerJson };
}

/**
 * The tokenizer for a run: `--max-length`, else the max length a trained head's folder
 * records (what `albert train-head` embedded with), else the model's maximum. `truncate:
 * false` (for `albert tokenize` without --max-length) shows whole rows, as spm_encode does.
 */
export function makeTokenizer(model: LoadedModel, maxLength: number | null, truncate = true): AlbertTokenizer {
  if (!truncate && maxLength === null) return AlbertTokenizer.fromJson(model.tokenizerJson, null, tokenizerSource(model));
  const max = maxLength ?? headMaxLength(model.files.config, join(model.files.dir, 'config.json'), model.config.maxPositionEmbeddings) ?? model.config.maxPositionEmbeddings;
  if (max > model.config.maxPositionEmbeddings) {
    throw optionError('--max-length', max, `at most the model's max_position_embeddings (${model.config.maxPositionEmbeddings})`);
  }
  return AlbertTokenizer.fromJson(model.tokenizerJson, max, tokenizerSource(model));
}

function tokenizerSource(model: LoadedModel): string {
  return join(model.files.dir, model.files.tokenizerJson ? 'tokenizer.json' : 'spiece.model');
}
