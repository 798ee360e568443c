/**
 * Reader throughput, alone: the readers must never be what the pipeline waits on.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/read-source-bench.js [file.csv] [runs]
 *
 * Reads the CSV with per-item and per-batch iteration, then rewrites it as JSONL and text
 * in the temp directory and reads those too. Prints rows/s and MB/s per format; the first
 * run of each warms up and is not reported.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { readSource, type ReadSourceOptions } from '../src/io/read-source.js';
import { isSourceReject } from '../src/io/row.js';

const input = process.argv[2] ?? 'data/sample.csv';
const runs = Number(process.argv[3] ?? 3);

async function measure(label: string, options: ReadSourceOptions, perItem: boolean): Promise<void> {
  const results: string[] = [];
  for (let run = 0; run <= runs; run++) {
    const source = readSource(options);
    let rows = 0;
    let rejects = 0;
    const t0 = performance.now();
    if (perItem) {
      for await (const item of source) isSourceReject(item) ? rejects++ : rows++;
    } else {
      for await (const batch of source.batches()) for (const item of batch) isSourceReject(item) ? rejects++ : rows++;
    }
    const s = (performance.now() - t0) / 1000;
    if (run > 0) results.push(`${Math.round((rows + rejects) / s)} rows/s, ${((source.totalBytes ?? 0) / s / 1e6).toFixed(1)} MB/s`);
    if (run === runs) console.log(`${label.padEnd(16)} ${rows} rows, ${rejects} rejects: ${results.join(' | ')}`);
  }
}

async function rewrite(path: string, format: 'jsonl' | 'text'): Promise<void> {
  const out = createWriteStream(path);
  for await (const item of readSource({ input })) {
    if (isSourceReject(item)) continue;
    const line = format === 'jsonl' ? JSON.stringify({ id: item.id, text: item.text }) : item.text.replace(/[\r\n]+/g, ' ');
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const dir = await mkdtemp(join(tmpdir(), 'albert-read-bench-'));
try {
  await measure('csv (items)', { input }, true);
  await measure('csv (batches)', { input }, false);
  const jsonl = join(dir, 'corpus.jsonl');
  const text = join(dir, 'corpus.txt');
  await rewrite(jsonl, 'jsonl');
  await rewrite(text, 'text');
  await measure('jsonl (items)', { input: jsonl }, true);
  await measure('text (items)', { input: text }, true);
} finally {
  await rm(dir, { recursive: true, force: true });
}
