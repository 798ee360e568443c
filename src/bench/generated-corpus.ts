/**
 * A generated corpus for `albert bench`: rows of whole-word vocabulary pieces whose token
 * counts follow a chosen distribution, so throughput can be measured at the lengths a
 * user expects without their data. Seeded: the same spec gives the same rows.
 *
 * Length specs (tokens per row, [CLS] and [SEP] included):
 * - `fixed:N`
 * - `uniform:A-B`
 * - `lognormal:MEDIAN,SIGMA` (e.g. `lognormal:48,0.8`, long-tailed like real documents)
 * - `from:FILE.csv` (the lengths of FILE's `text` column, cycled: another corpus's shape)
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { parse } from 'csv-parse/sync';
import { optionError } from '../errors.js';
import { csvField } from '../io/corpus-subset.js';
import type { AlbertTokenizer } from '../model/albert-tokenizer.js';

export type LengthSampler = (next: () => number) => number;

/**
 * Parses a length spec into a sampler (given a uniform [0,1) source).
 *
 * @throws OptionError `ALB_OPTION_INVALID` naming `--lengths` and the spec
 * @example
 * ```ts
 * const s = await lengthSampler('uniform:16-128', tokenizer);
 * ```
 */
export async function lengthSampler(spec: string, tokenizer: AlbertTokenizer, maxLength: number): Promise<LengthSampler> {
  const bad = (): never => { throw optionError('--lengths', spec, 'fixed:N, uniform:A-B, lognormal:MEDIAN,SIGMA or from:FILE.csv'); };
  const clamp = (n: number): number => Math.max(3, Math.min(maxLength, Math.round(n)));
  const [kind, arg = ''] = [spec.slice(0, spec.indexOf(':')), spec.slice(spec.indexOf(':') + 1)];
  if (kind === 'fixed') {
    const n = Number(arg);
    if (!Number.isInteger(n) || n < 3) bad();
    return () => clamp(n);
  }
  if (kind === 'uniform') {
    const m = /^(\d+)-(\d+)$/.exec(arg);
    if (!m || Number(m[1]) > Number(m[2]) || Number(m[1]) < 3) bad();
    const [a, b] = [Number(m![1]), Number(m![2])];
    return (next) => clamp(a + Math.floor(next() * (b - a + 1)));
  }
  if (kind === 'lognormal') {
    const [median, sigma] = arg.split(',').map(Number);
    if (!(median >= 3) || !(sigma >= 0)) bad();
    return (next) => clamp(median * Math.exp(sigma * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())));
  }
  if (kind === 'from') {
    let texts: string[];
    try {
      texts = (parse(readFileSync(arg), { columns: true, skip_empty_lines: true, relax_column_count: true }) as Array<{ text?: string }>).map((r) => r.text ?? '').filter((t) => t.trim() !== '');
    } catch (err) {
      throw optionError('--lengths', spec, `a readable CSV with a text column (${(err as Error).message})`);
    }
    if (texts.length === 0) bad();
    const lengths = (await tokenizer.encodeBatch(texts.slice(0, 20_000))).map((e) => e.ids.length);
    return (next) => clamp(lengths[Math.floor(next() * lengths.length)]);
  }
  return bad();
}

/**
 * Writes `rows` generated rows (`id,text`) to `out`.
 *
 * @example
 * ```ts
 * await writeGeneratedCorpus('gen.csv', 2000, await lengthSampler('fixed:128', tok, 512), tok, 1);
 * ```
 */
export async function writeGeneratedCorpus(out: string, rows: number, lengths: LengthSampler, tokenizer: AlbertTokenizer, seed: number): Promise<void> {
  const words = vocabularyWords(tokenizer);
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const ws = createWriteStream(out);
  ws.write('id,text\n');
  for (let i = 0; i < rows; i++) {
    const n = lengths(next) - 2; // [CLS] and [SEP]
    const text = Array.from({ length: n }, () => words[Math.floor(next() * words.length)]).join(' ');
    if (!ws.write(`gen-${i},${csvField(text)}\n`)) await once(ws, 'drain');
  }
  ws.end();
  await once(ws, 'finish');
}

/** Pieces that are whole lowercase words (`▁word`): one token each when written out. */
function vocabularyWords(tokenizer: AlbertTokenizer): string[] {
  const words = tokenizer.vocabulary().filter((p) => /^▁[a-z]{2,}$/.test(p)).map((p) => p.slice(1));
  return words.length > 0 ? words : ['word'];
}
