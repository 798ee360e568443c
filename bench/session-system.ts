/**
 * System (c): the bare-session ceiling. One onnxruntime-node InferenceSession with default
 * options (ORT's own thread count: all cores) on the main thread, no I/O. The rows are
 * tokenized with our tokenizer and cut exactly as runJob cuts them (windows of windowRows
 * rows, cutBatches by batchTokens, padBatch), and the tensors are built before timing.
 * Timed: only the session.run loop, fetching `last_hidden_state`, plus mean pooling and
 * L2 normalization in JS (the same poolHidden/l2NormalizeRows the workers use).
 * The batches and the timed loop are src/bench/pipeline-batches.ts and
 * src/workers/bare-session.ts, which `albert bench` uses too.
 *
 *   node dist/bench/session-system.js '<ChildConfig JSON>'
 */
import { join } from 'node:path';
import { embedTask, resolveJobOptions, splitTaskOptions } from '../src/index.js';
import { padAll, pipelineBatches } from '../src/bench/pipeline-batches.js';
import { timeBareSession } from '../src/workers/bare-session.js';
import { l2NormalizeRows, poolHidden } from '../src/model/pooling.js';
import { childConfig, endOfMeasuredWork, finish, runChild, writeEmbeddings } from './child.js';
import { readSubset } from '../src/io/corpus-subset.js';

const cfg = childConfig();
const OUTPUT = 'last_hidden_state';

runChild(async () => {
  // The pipeline's batch shape for these options (input/out are placeholders).
  const resolved = resolveJobOptions(splitTaskOptions(embedTask, { input: cfg.input, out: join(cfg.work, 'unused'), ...(cfg.maxLength !== null ? { maxLength: cfg.maxLength } : {}), ...cfg.pipelineArgs }).job);
  const { texts } = readSubset(cfg.input);
  const prepared = await pipelineBatches(cfg.model, texts, resolved);
  const batches = padAll(prepared);

  let H = 0;
  let emb = new Float32Array(0);
  const run = await timeBareSession(join(cfg.model, 'model.onnx'), join(cfg.model, 'model.onnx'), batches, OUTPUT, { sessionOptions: cfg.sessionOptions }, (i, data, dims) => {
    const b = batches[i];
    if (H === 0) {
      H = dims[dims.length - 1];
      emb = new Float32Array(texts.length * H);
    }
    const pooled = l2NormalizeRows(poolHidden(data, b.lengths, { B: b.B, S: b.S, H }, 'mean'), H);
    for (let r = 0; r < b.B; r++) emb.set(pooled.subarray(r * H, (r + 1) * H), b.seqs[r] * H);
  });
  endOfMeasuredWork();

  finish({
    system: 'c',
    label: 'bare ORT session',
    rows: texts.length,
    real_tokens: prepared.padding.real,
    padded_tokens: prepared.padding.padded,
    padding_efficiency: prepared.padding.real / prepared.padding.padded,
    load_s: run.load_s,
    timed_s: run.timed_s,
    timing: `session.run over the pipeline's batches (fetching ${OUTPUT}) + mean pooling + L2 normalize in JS; excludes model load, tokenization, padding and one warm-up run`,
    docs_per_s: texts.length / run.timed_s,
    tokens_per_s: prepared.padding.real / run.timed_s,
    batches: batches.length,
    hidden: H,
    embeddings_file: writeEmbeddings(cfg.embeddingsOut, emb),
    extra: {
      output: OUTPUT,
      session_options: cfg.sessionOptions ?? 'ORT defaults (no SessionOptions passed)',
      batch_tokens: resolved.batchTokens,
      window_rows: resolved.windowRows,
      max_length: prepared.maxLength,
      warmup: 'one untimed run of the smallest batch',
    },
  });
});
