import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlbertTokenizer } from '../../src/model/albert-tokenizer.js';
import { windowSpans } from '../../src/model/token-windows.js';
import { cleanup, readManifestJson, readOutput, ROOT, tempDir, tinyModel } from '../helpers/cli.js';
import { tokenizerJsonText } from '../helpers/reference.js';

/**
 * A single 10 MB document among small rows: `--long split` embeds all of it (3.4M tokens)
 * and `truncate` its start, with memory a bounded amount above the same job without it:
 * the text is tokenized in pieces, never whole in the native tokenizer (which costs about
 * 1 GB for such a text), and the window vectors are the only per-window state kept.
 */
let dir: string;
let model: string;
let small: string;
let big: string;
let bigText: string;
let smallTexts: string[];
const MB = 10_000_000;

beforeAll(() => {
  dir = tempDir();
  model = tinyModel('albert-tiny');
  const sample = readFileSync(join(ROOT, 'data', 'sample.csv'), 'utf8');
  const paragraphs = [...sample.matchAll(/^doc-\d+,("(?:[^"]|"")*"|[^\n]*),/gm)].map((m) => (m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1]));
  const parts: string[] = [];
  for (let n = 0, i = 0; n < MB; i++) {
    parts.push(paragraphs[i % paragraphs.length]);
    n += paragraphs[i % paragraphs.length].length + 1;
  }
  bigText = parts.join('\n').slice(0, MB);
  smallTexts = paragraphs.slice(0, 20);
  const rows = smallTexts.map((text, i) => JSON.stringify({ id: `s${i}`, text }));
  small = join(dir, 'small.jsonl');
  writeFileSync(small, `${rows.join('\n')}\n`);
  big = join(dir, 'big.jsonl');
  writeFileSync(big, `${[...rows.slice(0, 10), JSON.stringify({ id: 'big', text: bigText }), ...rows.slice(10)].join('\n')}\n`);
});
afterAll(() => cleanup(dir));

/** Runs a job in a fresh process and returns its peak RSS (MiB): vitest's own memory stays out of it. */
function peakRss(options: Record<string, unknown>): Promise<number> {
  const entry = pathToFileURL(join(ROOT, 'dist', 'src', 'index.js')).href;
  const script = `const { runJob, embedTask } = await import(${JSON.stringify(entry)});
await runJob(embedTask, JSON.parse(process.argv[1]));
process.stdout.write(String(process.resourceUsage().maxRSS));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(options)], { cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(Number(out) / 1024) : reject(new Error(`job exited ${code}: ${err}`))));
  });
}

describe('a 10 MB document', () => {
  it('is embedded whole by --long split, and truncated from its first pieces, in bounded memory', async () => {
    const common = { model, workers: 2, threads: 1, quiet: true, maxRecordBytes: 2 * MB };
    const baseline = await peakRss({ ...common, input: small, out: join(dir, 'small'), long: 'split' });
    const splitOut = join(dir, 'split');
    const split = await peakRss({ ...common, input: big, out: splitOut, long: 'split' });
    const truncate = await peakRss({ ...common, input: big, out: join(dir, 'truncate') });
    console.log(`peak RSS: 20 small rows ${baseline.toFixed(0)} MiB; with a 10 MB row: --long split ${split.toFixed(0)} MiB, truncate ${truncate.toFixed(0)} MiB`);

    const tok = AlbertTokenizer.fromJson(tokenizerJsonText(), 128);
    const n = (await tok.encodeLong(bigText)).ids.length;
    // The small rows over 128 tokens are split too.
    const counts = await Promise.all([bigText, ...smallTexts].map(async (x) => windowSpans((await tok.encodeLong(x)).ids.length, 128, 16).length));
    const splitRows = counts.filter((c) => c > 1);
    const t = readOutput(splitOut);
    const row = (t.getChild('id')!.toArray() as string[]).indexOf('big');
    expect(row).toBe(10);
    expect(t.getChild('n_tokens')!.get(row)).toBe(n + 2);
    expect(readManifestJson(splitOut)).toMatchObject({ rows_in: 21, rows_out: 21, counts: { 'long.rows_split': splitRows.length, 'long.windows': splitRows.reduce((a, b) => a + b, 0) } });
    expect(n).toBeGreaterThan(3_000_000);
    // Measured on a 2-core machine: +163 MiB for split (the text, 14 MB of ids, 31K windows
    // and their vectors), +41 MiB for truncate, which before it read only the first pieces
    // cost +810 MiB (the whole text in one native encode, with its overflow encodings).
    expect(split - baseline).toBeLessThan(450);
    expect(truncate - baseline).toBeLessThan(250);
  }, 900_000);
});
