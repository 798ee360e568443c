/**
 * Where system (b), transformers.js, lives: its own package in bench/compare (its own
 * package.json and lock), installed on demand with `npm run bench:install`, so that the main
 * install does not carry `@huggingface/transformers` and the second onnxruntime-node,
 * onnxruntime-web and sharp it brings (about 470 MB). Nothing else in the project, tests
 * included, imports it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './bench-args.js';

/** bench/compare, or ALBERT_BENCH_COMPARE_DIR (a test points it at an empty folder). */
export function compareDir(): string {
  return process.env.ALBERT_BENCH_COMPARE_DIR || join(REPO_ROOT, 'bench', 'compare');
}

export const TJS_INSTALL_COMMAND = 'npm run bench:install';

export function tjsMissingMessage(dir = compareDir()): string {
  return (
    `(b) transformers.js is not installed: it is an optional package of its own in ${dir} ` +
    `(kept out of the main install). Run \`${TJS_INSTALL_COMMAND}\` (= npm --prefix bench/compare ci) once, ` +
    `or leave it out with --systems a,c`
  );
}

export function tjsInstalled(dir = compareDir()): boolean {
  return existsSync(join(dir, 'index.mjs')) && existsSync(join(dir, 'node_modules', '@huggingface', 'transformers', 'package.json'));
}

/** The parts of `@huggingface/transformers` that system (b) uses (the package's own types are not installed with the project). */
export interface TransformersJs {
  env: {
    allowRemoteModels: boolean;
    allowLocalModels: boolean;
    localModelPath: string;
    useFSCache: boolean;
    version: string;
    backends: { onnx: unknown };
  };
  pipeline(
    task: 'feature-extraction',
    model: string,
    options: { dtype: 'fp32'; device: 'cpu' },
  ): Promise<FeatureExtractor>;
}

export interface FeatureExtractor {
  (texts: string[], options: { pooling: 'mean'; normalize: boolean }): Promise<{ dims: number[]; data: unknown }>;
  tokenizer(texts: string[], options: { padding: boolean; truncation: boolean }): unknown;
}

/** Loads transformers.js from bench/compare, or fails with the install command. */
export async function loadTransformersJs(): Promise<TransformersJs> {
  const dir = compareDir();
  if (!tjsInstalled(dir)) throw new Error(tjsMissingMessage(dir));
  return (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as TransformersJs;
}
