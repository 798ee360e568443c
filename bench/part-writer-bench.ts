/**
 * What writing a part costs, Arrow against Parquet, without inference: the embed task's
 * columns (id, embedding FixedSizeList<Float32>[H], n_tokens, truncated) in windows of
 * 1,024 rows, through each format's PartWriter (fsync and rename included), alternating
 * formats, best of the rounds.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/part-writer-bench.js [H] [windows] [rounds]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bool, Field, Int32, Schema, Utf8 } from 'apache-arrow';
import { OUTPUT_FORMATS, type OutputFormat } from '../src/io/output-formats.js';
import { boolData, fixedSizeFloat32Data, fixedSizeListType, int32Data, recordBatch, utf8Data } from '../src/tasks/arrow-columns.js';

const H = Number(process.argv[2] ?? 256);
const windows = Number(process.argv[3] ?? 16);
const rounds = Number(process.argv[4] ?? 5);
const ROWS = 1024;

const schema = new Schema([new Field('id', new Utf8(), false), new Field('embedding', fixedSizeListType(H), false), new Field('n_tokens', new Int32(), false), new Field('truncated', new Bool(), false)]);
const batches = Array.from({ length: windows }, (_, w) =>
  recordBatch(schema, [
    utf8Data(Array.from({ length: ROWS }, (_, i) => `doc-${w * ROWS + i}`)),
    fixedSizeFloat32Data(Float32Array.from({ length: ROWS * H }, (_, i) => Math.sin(i + w) / 16), H),
    int32Data(Int32Array.from({ length: ROWS }, (_, i) => 10 + (i % 500))),
    boolData(Array.from({ length: ROWS }, (_, i) => i % 7 === 0)),
  ], ROWS),
);

const dir = await mkdtemp(join(tmpdir(), 'albert-part-writer-'));
try {
  const best: Record<string, { ms: number; bytes: number }> = {};
  for (let round = 0; round < rounds; round++) {
    for (const format of ['arrow', 'parquet'] as OutputFormat[]) {
      const entry = OUTPUT_FORMATS[format];
      const t0 = performance.now();
      const w = await entry.create(join(dir, `part-${round}${entry.extension}`), schema);
      for (const b of batches) await w.write(b);
      const { bytes } = await w.commit();
      const ms = (performance.now() - t0) / windows;
      if (!best[format] || ms < best[format].ms) best[format] = { ms, bytes };
    }
  }
  for (const [format, { ms, bytes }] of Object.entries(best)) {
    console.log(`${format.padEnd(8)} ${ms.toFixed(2)} ms per window of ${ROWS} rows x ${H} floats (${Math.round((ROWS / ms) * 1000).toLocaleString('en-US')} rows/s), ${(bytes / 1e6).toFixed(1)} MB for ${windows} windows`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
