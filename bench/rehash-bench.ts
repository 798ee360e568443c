/**
 * How fast --resume proves the input unchanged: it re-hashes the committed prefix, part by
 * part, before adding a row (issue 15 asks for >= 500 MB/s on a 1 GB input).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/rehash-bench.js [MB] [part-MB]
 *
 * Writes a CSV of about MB megabytes (data/sample.csv repeated) in the temp directory,
 * records its parts' ranges as a job's committer would (InputRanges.hash, range by range),
 * then times checkCommittedInput on them three times. The page cache holds the file after
 * it was written, as it does for an input a job read minutes ago; when the kernel lets us
 * (root, /proc/sys/vm/drop_caches), one more timing starts from a cold cache.
 */
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputRanges } from '../src/io/input-ranges.js';
import { checkCommittedInput } from '../src/pipeline/input-identity.js';
import type { Manifest, PartEntry } from '../src/pipeline/manifest.js';

const totalMb = Number(process.argv[2] ?? 1024);
const partMb = Number(process.argv[3] ?? 32);

const dir = await mkdtemp(join(tmpdir(), 'albert-rehash-'));
try {
  const file = join(dir, 'big.csv');
  const sample = readFileSync('data/sample.csv');
  const out = createWriteStream(file);
  let size = 0;
  while (size < totalMb * 1e6) {
    if (!out.write(sample)) await once(out, 'drain');
    size += sample.length;
  }
  out.end();
  await once(out, 'finish');
  const ranges = InputRanges.of(file, null)!;
  const parts: PartEntry[] = [];
  const step = partMb * 1e6;
  let t0 = performance.now();
  for (let start = 0; start < size; start += step) {
    const end = Math.min(size, start + step);
    const sha256 = (await ranges.hash(start, end)) as string;
    parts.push({ file: `part-${parts.length}.arrow`, seqStart: 0, seqEnd: 0, offsetStart: null, offsetEnd: null, rows: 0, rejected: 0, bytes: 0, sha256: '', input: { start, end, sha256 }, rejects: { file: 'rejects.jsonl', offset: 0, bytes: 0, sha256: '' } });
  }
  const commitS = (performance.now() - t0) / 1000;
  const m = { parts } as unknown as Manifest;
  const mbs = (s: number) => `${(size / 1e6 / s).toFixed(0)} MB/s`;
  console.log(`input ${(size / 1e6).toFixed(0)} MB in ${parts.length} parts of ${partMb} MB; hashing the parts as the committer does: ${commitS.toFixed(2)} s (${mbs(commitS)})`);
  for (let run = 1; run <= 3; run++) {
    t0 = performance.now();
    await checkCommittedInput(m, ranges, { trust: false, note: () => undefined });
    const s = (performance.now() - t0) / 1000;
    console.log(`resume re-hash, warm cache, run ${run}: ${s.toFixed(2)} s, ${mbs(s)}`);
  }
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '1');
    t0 = performance.now();
    await checkCommittedInput(m, ranges, { trust: false, note: () => undefined });
    const s = (performance.now() - t0) / 1000;
    console.log(`resume re-hash, cold cache: ${s.toFixed(2)} s, ${mbs(s)}`);
  } catch (err) {
    console.log(`cold cache not measured: cannot drop the page cache here (${(err as NodeJS.ErrnoException).code})`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
