/**
 * A non-timed self-check of the bench's own helpers (not part of `npm test`: it needs the
 * built project and runs in a second or two):
 *
 *   npm run build && node dist/bench/bench-smoke-check.js
 *
 * Checks the CSV subset writer (quoting, repetition with fresh ids, blank rows skipped)
 * and that the SVG writer escapes text and yields one well-formed <svg> document.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSubset, writeCorpusSubset } from '../src/io/corpus-subset.js';
import { renderChart } from '../src/bench/svg-chart.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-check-'));
try {
  const corpus = join(dir, 'corpus.csv');
  writeFileSync(corpus, 'id,text,source\nd1,"hello, ""world""",x\nd2,"  ",x\nd3,"two\nlines",y\n');
  const out = join(dir, 'subset.csv');
  const s = await writeCorpusSubset(corpus, out, 5);
  assert.equal(s.rows, 5);
  assert.equal(s.passes, 3);
  assert.equal(s.skippedBlank, 1);
  const { ids, texts } = readSubset(out);
  assert.deepEqual(ids, ['d1', 'd3', 'r1-d1', 'r1-d3', 'r2-d1']);
  assert.deepEqual(texts, ['hello, "world"', 'two\nlines', 'hello, "world"', 'two\nlines', 'hello, "world"']);

  const svg = renderChart({
    title: 'a <b> & "c"',
    panels: [
      { kind: 'bars', title: 't', bars: [{ label: 'x', value: 2, text: '2 docs/s' }, { label: 'y', value: 1, text: '1 docs/s' }] },
      { kind: 'stack', title: 's', unit: 'ms', rows: [{ label: 'r', segments: [{ label: 'infer', value: 3, color: '#000' }] }] },
      { kind: 'lines', title: 'l', xLabel: 's', yLabel: 'MiB', series: [{ label: 'one', color: '#111', points: [[0, 1], [1, 2]] }] },
    ],
  });
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(svg.includes('a &lt;b&gt; &amp; &quot;c&quot;'));
  assert.equal(svg.match(/<svg/g)?.length, 1);
  assert.ok(!/<script|@import|url\(/.test(svg));
  process.stdout.write('bench helpers: ok\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
