/**
 * System (b): transformers.js `pipeline('feature-extraction', …)` with
 * `{ pooling: 'mean', normalize: true }`, fp32 on the CPU, fully offline: remote models
 * off, `env.localModelPath` = a temp folder laid out as transformers.js expects
 * (`<name>/config.json`, `tokenizer.json`, `tokenizer_config.json`, `onnx/model.onnx`,
 * symlinks to the model folder). Rows go in batches of `tjsBatch` in input order, as a
 * user of that API would feed them (it pads each batch to its longest row).
 *
 *   node dist/bench/transformers-system.js '<ChildConfig JSON>'
 *
 * Timed: the pipeline calls (tokenize + session.run + pooling + normalize); excludes the
 * model load and one warm-up call. transformers.js runs its own onnxruntime-node (a
 * dependency of @huggingface/transformers, version in the results) with ORT's default
 * session options, and fetches every model output (last_hidden_state and pooler_output).
 *
 * transformers.js is not in the main install: it is the package in bench/compare
 * (`npm run bench:install`), loaded here by path; see compare-install.ts.
 */
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childConfig, endOfMeasuredWork, finish, runChild, writeEmbeddings } from './child.js';
import { loadTransformersJs } from './compare-install.js';
import { readSubset } from '../src/io/corpus-subset.js';

const cfg = childConfig();
const NAME = 'bench-model';

/** The layout transformers.js loads from `env.localModelPath/<name>/`. */
function layOut(root: string): void {
  const dir = join(root, NAME);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    if (existsSync(join(cfg.model, f))) symlinkSync(join(cfg.model, f), join(dir, f));
    else if (f === 'tokenizer_config.json') {
      // What the models here ship; transformers.js needs the file to pick AlbertTokenizer.
      writeFileSync(join(dir, f), JSON.stringify({ tokenizer_class: 'AlbertTokenizer', do_lower_case: true, remove_space: true, keep_accents: false, model_max_length: 512 }));
    } else {
      throw new Error(`(b) transformers.js needs ${f} in ${cfg.model}`);
    }
  }
  symlinkSync(join(cfg.model, 'model.onnx'), join(dir, 'onnx', 'model.onnx'));
}

runChild(async () => {
  const { env, pipeline } = await loadTransformersJs();
  const root = join(cfg.work, 'tjs-models');
  layOut(root);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${root}/`;
  env.useFSCache = false;

  const { texts } = readSubset(cfg.input);
  const B = cfg.tjsBatch;
  const l0 = performance.now();
  const extractor = await pipeline('feature-extraction', NAME, { dtype: 'fp32', device: 'cpu' });
  const loadS = (performance.now() - l0) / 1000;
  const options = { pooling: 'mean' as const, normalize: true };
  // One untimed call on the last batch (first-run allocations).
  await extractor(texts.slice(Math.max(0, texts.length - B)), options);

  let H = 0;
  let emb = new Float32Array(0);
  const t0 = performance.now();
  for (let start = 0; start < texts.length; start += B) {
    const out = await extractor(texts.slice(start, start + B), options);
    if (H === 0) {
      H = out.dims[out.dims.length - 1];
      emb = new Float32Array(texts.length * H);
    }
    emb.set(out.data as Float32Array, start * H);
  }
  const timed = (performance.now() - t0) / 1000;
  endOfMeasuredWork();

  // Not timed: what padding to the longest row of each batch of B costs, from the same tokenizer call the pipeline makes.
  let real = 0;
  let padded = 0;
  let batches = 0;
  for (let start = 0; start < texts.length; start += B) {
    const enc = extractor.tokenizer(texts.slice(start, start + B), { padding: true, truncation: true }) as { attention_mask: { dims: number[]; data: ArrayLike<bigint | number> } };
    const [rows, S] = enc.attention_mask.dims;
    padded += rows * S;
    batches++;
    for (let r = 0; r < rows; r++) {
      let n = 0;
      for (let t = 0; t < S; t++) n += Number(enc.attention_mask.data[r * S + t]);
      real += n;
    }
  }

  finish({
    system: 'b',
    label: 'transformers.js feature-extraction',
    rows: texts.length,
    real_tokens: real,
    padded_tokens: padded,
    padding_efficiency: real / padded,
    load_s: loadS,
    timed_s: timed,
    timing: `pipeline() calls on batches of ${B} rows in input order (tokenize + session.run + mean pooling + normalize); excludes model load and one warm-up call`,
    docs_per_s: texts.length / timed,
    tokens_per_s: real / timed,
    batches,
    hidden: H,
    embeddings_file: writeEmbeddings(cfg.embeddingsOut, emb),
    extra: {
      batch_rows: B,
      dtype: 'fp32',
      device: 'cpu',
      onnxruntime: (env.backends.onnx as { versions?: Record<string, string> }).versions ?? null,
      transformers_js: env.version,
    },
  });
});
