/**
 * How often the SOP head of a model folder (default: models/albert-mini-sop) calls
 * sentence order right on pairs made from the docs corpus: each paragraph with at
 * least two sentences is cut into a first and a second half of its sentences; the pair
 * in order (label 0, HF's "original order") and swapped (label 1) are both scored.
 *
 *   npm run build && node dist/bench/sop-accuracy.js [--model models/albert-mini-sop]
 *     [--data ../shared/data/docs-corpus.csv] [--paragraphs 2000] [--max-length 256]
 *
 * Prints one JSON object to stdout.
 */
import { join, resolve } from 'node:path';
import ort from 'onnxruntime-node';
import { Tokenizer } from 'tokenizers';
import { albertRemoveSpace } from '../src/model/remove-space.js';
import { argmax, flags, readCsv, ROOT, runRows, type TokenizedRow } from './bench-util.js';

const f = flags({
  model: join(ROOT, 'models/albert-mini-sop'),
  data: join(ROOT, '../shared/data/docs-corpus.csv'),
  paragraphs: '2000',
  'max-length': '256',
  batch: '32',
});

/** Sentences: a run ending in . ! or ? followed by whitespace and a capital, digit or quote. */
function splitSentences(text: string): string[] {
  return albertRemoveSpace(text).split(/(?<=[.!?])\s+(?=["'(\[]?[A-Z0-9])/).filter((s) => s.length > 0);
}

const rows = readCsv(resolve(f.data));
const wanted = Number(f.paragraphs);
// Every k-th usable paragraph, so the sample spans the whole corpus (both sources).
const usable = rows.map((r) => splitSentences(r.text)).filter((s) => s.length >= 2);
const step = Math.max(1, Math.floor(usable.length / wanted));
const picked = usable.filter((_, i) => i % step === 0).slice(0, wanted);

const tokenizer = Tokenizer.fromFile(join(resolve(f.model), 'tokenizer.json'));
tokenizer.setTruncation(Number(f['max-length']));
const pairs: Array<TokenizedRow & { label: number }> = [];
for (const sentences of picked) {
  const cut = Math.ceil(sentences.length / 2);
  const a = sentences.slice(0, cut).join(' ');
  const b = sentences.slice(cut).join(' ');
  for (const [x, y, label] of [[a, b, 0], [b, a, 1]] as const) {
    const enc = await tokenizer.encode(x, y);
    pairs.push({ ids: enc.getIds(), typeIds: enc.getTypeIds(), label });
  }
}

const started = Date.now();
const session = await ort.InferenceSession.create(join(resolve(f.model), 'model.onnx'));
const out = await runRows(session, pairs, ['sop_logits'], Number(f.batch));
let right = 0, rightInOrder = 0, rightSwapped = 0;
pairs.forEach((p, i) => {
  const ok = argmax(out[i].sop_logits) === p.label;
  right += Number(ok);
  if (p.label === 0) rightInOrder += Number(ok); else rightSwapped += Number(ok);
});
const n = pairs.length / 2;
process.stdout.write(`${JSON.stringify({
  model: f.model,
  data: f.data,
  paragraphs_with_2plus_sentences: usable.length,
  paragraphs_used: n,
  pairs: pairs.length,
  mean_tokens: Math.round(pairs.reduce((a, p) => a + p.ids.length, 0) / pairs.length),
  accuracy: right / pairs.length,
  in_order_accuracy: rightInOrder / n,
  swapped_accuracy: rightSwapped / n,
  seconds: (Date.now() - started) / 1000,
}, null, 2)}\n`);
