/**
 * System (c): the bare-session ceiling. One onnxruntime-node InferenceSession with default
 * options (ORT's own thread count: all cores) on the main thread, no I/O. The rows are
 * tokenized with our tokenizer and cut exactly as runJob cuts them (windows of windowRows
 * rows, cutBatches by batchTokens, padBatch), and the tensors are built before timing.
 * Timed: only the session.run loop, fetching `last_hidden_state`, plus mean pooling and
 * L2 normalization in JS (the same poolHidden/l2NormalizeRows the workers use).
 *
 *   node dist/bench/session-system.js '<ChildConfig JSON>'
 */
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { embedTask, resolveJobOptions, splitTaskOptions } from '../src/index.js';
import { cutBatches, paddingEfficiency } from '../src/pipeline/batcher.js';
import { loadModel, makeTokenizer } from '../src/pipeline/load-model.js';
import { padBatch, type Batch, type EncodedRow } from '../src/model/padding.js';
import { l2NormalizeRows, poolHidden } from '../src/model/pooling.js';
import { childConfig, endOfMeasuredWork, finish, runChild, writeEmbeddings } from './child.js';
import { readSubset } from '../src/io/corpus-subset.js';

const cfg = childConfig();
const OUTPUT = 'last_hidden_state';

runChild(async () => {
  // The pipeline's batch shape for these options (input/out are placeholders).
  const resolved = resolveJobOptions(splitTaskOptions(embedTask, { input: cfg.input, out: join(cfg.work, 'unused'), ...(cfg.maxLength !== null ? { maxLength: cfg.maxLength } : {}), ...cfg.pipelineArgs }).job);
  const model = await loadModel(cfg.model);
  const tokenizer = makeTokenizer(model, resolved.maxLength);
  const { texts } = readSubset(cfg.input);
  const cut: EncodedRow[][] = [];
  for (let start = 0; start < texts.length; start += resolved.windowRows) {
    const enc = await tokenizer.encodeBatch(texts.slice(start, start + resolved.windowRows));
    cut.push(...cutBatches(enc.map((e, i) => ({ ...e, seq: start + i })), resolved.batchTokens));
  }
  const padding = paddingEfficiency(cut);
  const batches: Batch[] = cut.map((rows) => padBatch(rows, tokenizer.special.pad));
  const feeds = batches.map((b) => ({
    input_ids: new ort.Tensor('int64', b.inputIds, [b.B, b.S]),
    attention_mask: new ort.Tensor('int64', b.attentionMask, [b.B, b.S]),
    token_type_ids: new ort.Tensor('int64', b.tokenTypeIds, [b.B, b.S]),
  }));

  const l0 = performance.now();
  const session = cfg.sessionOptions
    ? await ort.InferenceSession.create(model.files.onnxPath, cfg.sessionOptions as ort.InferenceSession.SessionOptions)
    : await ort.InferenceSession.create(model.files.onnxPath);
  const loadS = (performance.now() - l0) / 1000;
  // One untimed run of the smallest batch: first-run allocations are not throughput.
  (await session.run(feeds[feeds.length - 1], [OUTPUT]))[OUTPUT].dispose();

  let H = 0;
  let emb = new Float32Array(0);
  const t0 = performance.now();
  for (let i = 0; i < batches.length; i++) {
    const b = batches[i];
    const out = (await session.run(feeds[i], [OUTPUT]))[OUTPUT];
    if (H === 0) {
      H = out.dims[out.dims.length - 1];
      emb = new Float32Array(texts.length * H);
    }
    const pooled = l2NormalizeRows(poolHidden(out.data as Float32Array, b.lengths, { B: b.B, S: b.S, H }, 'mean'), H);
    for (let r = 0; r < b.B; r++) emb.set(pooled.subarray(r * H, (r + 1) * H), b.seqs[r] * H);
    out.dispose();
  }
  const timed = (performance.now() - t0) / 1000;
  endOfMeasuredWork();
  await session.release();

  finish({
    system: 'c',
    label: 'bare ORT session',
    rows: texts.length,
    real_tokens: padding.real,
    padded_tokens: padding.padded,
    padding_efficiency: padding.real / padding.padded,
    load_s: loadS,
    timed_s: timed,
    timing: `session.run over the pipeline's batches (fetching ${OUTPUT}) + mean pooling + L2 normalize in JS; excludes model load, tokenization, padding and one warm-up run`,
    docs_per_s: texts.length / timed,
    tokens_per_s: padding.real / timed,
    batches: batches.length,
    hidden: H,
    embeddings_file: writeEmbeddings(cfg.embeddingsOut, emb),
    extra: {
      output: OUTPUT,
      session_options: cfg.sessionOptions ?? 'ORT defaults (no SessionOptions passed)',
      batch_tokens: resolved.batchTokens,
      window_rows: resolved.windowRows,
      max_length: tokenizer.maxLength,
      warmup: 'one untimed run of the smallest batch',
    },
  });
});
