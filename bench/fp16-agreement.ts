/**
 * fp16 against fp32 conversions of the same checkpoints, on the labelled sample:
 * - pooled embeddings (mean over the mask, L2-normalized, via appendPooling; and
 *   pooler_output) of the albert-mini encoder: max abs difference and cosine;
 * - labels of the albert-mini-cls classifier: agreement, and accuracy against the gold labels.
 * Also checks the fp32 conversions against the torch-exported ONNX files next to them.
 *
 *   npm run build && node dist/bench/fp16-agreement.js [--cls ../shared/models/albert-mini-cls]
 *     [--encoder ../shared/models/albert-mini-pretraining] [--tokenizer ../shared/models/albert-mini]
 *     [--data ../shared/data/labelled-sample.csv] [--max-length 512]
 *
 * Prints one JSON object to stdout.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ort from 'onnxruntime-node';
import { Tokenizer } from 'tokenizers';
import { convertModel } from '../src/convert/convert-model.js';
import { appendPooling } from '../src/model/pooling-graph.js';
import { albertRemoveSpace } from '../src/model/remove-space.js';
import { argmax, flags, readCsv, ROOT, runRows, type TokenizedRow } from './bench-util.js';

const f = flags({
  cls: join(ROOT, '../shared/models/albert-mini-cls'),
  encoder: join(ROOT, '../shared/models/albert-mini-pretraining'),
  tokenizer: join(ROOT, '../shared/models/albert-mini'),
  data: join(ROOT, '../shared/data/labelled-sample.csv'),
  'max-length': '512',
  batch: '16',
});

const tmp = mkdtempSync(join(tmpdir(), 'fp16-agreement-'));
try {
  const samples = readCsv(resolve(f.data));
  const tokenizer = Tokenizer.fromFile(join(resolve(f.tokenizer), 'tokenizer.json'));
  tokenizer.setTruncation(Number(f['max-length']));
  const rows: TokenizedRow[] = [];
  for (const s of samples) {
    const enc = await tokenizer.encode(albertRemoveSpace(s.text));
    rows.push({ ids: enc.getIds(), typeIds: enc.getTypeIds() });
  }
  const convert = async (src: string, task: 'base' | 'cls', fp16: boolean): Promise<string> => {
    const dir = join(tmp, `${task}-${fp16 ? 'fp16' : 'fp32'}`);
    await convertModel(resolve(src), dir, { task, fp16, tokenizerDir: resolve(f.tokenizer) });
    return join(dir, 'model.onnx');
  };
  const session = (bytes: Uint8Array | string): Promise<ort.InferenceSession> =>
    typeof bytes === 'string' ? ort.InferenceSession.create(bytes) : ort.InferenceSession.create(bytes);
  const batch = Number(f.batch);

  // Embeddings.
  const embed = async (onnxPath: string) => runRows(await session(appendPooling(readFileSync(onnxPath), { pooling: 'mean', normalize: true })),
    rows, ['sentence_embedding', 'pooler_output'], batch);
  const e32 = await embed(await convert(f.encoder, 'base', false));
  const e16 = await embed(await convert(f.encoder, 'base', true));
  const compare = (a: Array<Record<string, Float32Array>>, b: Array<Record<string, Float32Array>>, name: string) => {
    let maxAbs = 0, minCos = 1, sumCos = 0;
    a.forEach((ra, i) => {
      const x = ra[name], y = b[i][name];
      let dot = 0, nx = 0, ny = 0;
      for (let k = 0; k < x.length; k++) {
        maxAbs = Math.max(maxAbs, Math.abs(x[k] - y[k]));
        dot += x[k] * y[k]; nx += x[k] * x[k]; ny += y[k] * y[k];
      }
      const cos = dot / Math.sqrt(nx * ny);
      minCos = Math.min(minCos, cos);
      sumCos += cos;
    });
    return { max_abs_diff: maxAbs, min_cosine: minCos, mean_cosine: sumCos / a.length };
  };

  // Labels.
  const clsLogits = async (onnxPath: string) => runRows(await session(onnxPath), rows, ['logits'], batch);
  const l32 = await clsLogits(await convert(f.cls, 'cls', false));
  const l16 = await clsLogits(await convert(f.cls, 'cls', true));
  const id2label = (JSON.parse(readFileSync(join(resolve(f.cls), 'config.json'), 'utf8')) as { id2label: Record<string, string> }).id2label;
  const labels = (l: Array<Record<string, Float32Array>>) => l.map((r) => id2label[String(argmax(r.logits))]);
  const lab32 = labels(l32), lab16 = labels(l16);
  const accuracy = (ls: string[]) => ls.filter((l, i) => l === samples[i].label).length / ls.length;
  const maxLogitDiff = (a: typeof l32, b: typeof l32) => Math.max(...a.map((r, i) => Math.max(...r.logits.map((v, k) => Math.abs(v - b[i].logits[k])))));

  // The fp32 conversions against torch's exports, where the folders have them.
  const torchChecks: Record<string, unknown> = {};
  const torchCls = join(resolve(f.cls), 'model.onnx');
  if (existsSync(torchCls)) {
    const lt = await clsLogits(torchCls);
    torchChecks.cls_fp32_vs_torch_onnx = { max_abs_logit_diff: maxLogitDiff(l32, lt), label_agreement: labels(lt).filter((l, i) => l === lab32[i]).length / rows.length };
  }
  const torchEncoder = join(resolve(f.tokenizer), 'model.onnx');
  if (existsSync(torchEncoder)) {
    const et = await embed(torchEncoder);
    torchChecks.encoder_fp32_vs_torch_onnx_of_tokenizer_folder = { sentence_embedding: compare(e32, et, 'sentence_embedding'), pooler_output: compare(e32, et, 'pooler_output') };
  }

  process.stdout.write(`${JSON.stringify({
    rows: rows.length,
    max_tokens: Math.max(...rows.map((r) => r.ids.length)),
    embeddings_fp16_vs_fp32: { mean_pooled_normalized: compare(e32, e16, 'sentence_embedding'), pooler_output: compare(e32, e16, 'pooler_output') },
    labels_fp16_vs_fp32: {
      agreement: lab16.filter((l, i) => l === lab32[i]).length / rows.length,
      disagreements: lab16.flatMap((l, i) => (l === lab32[i] ? [] : [{ id: samples[i].id, fp32: lab32[i], fp16: l }])),
      max_abs_logit_diff: maxLogitDiff(l32, l16),
      accuracy_fp32: accuracy(lab32),
      accuracy_fp16: accuracy(lab16),
    },
    ...torchChecks,
  }, null, 2)}\n`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
