import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Bool, DateDay, Field, FixedSizeList, Float32, Float64, Int32, Int64, Int8, List, Schema, Struct, Uint32, Utf8, vectorFromArray,
  type DataType,
} from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_FORMATS } from '../../src/io/output-formats.js';
import { checkParquetFile } from '../../src/io/footer-check.js';
import { ParquetFileWriter } from '../../src/io/parquet-file-writer.js';
import { fixedSizeFloat32Data, fixedSizeListType, recordBatch } from '../../src/tasks/arrow-columns.js';
import { ROOT, cleanup, tempDir } from '../helpers/cli.js';
import { duck, duckdbForTests, sqlPath } from '../helpers/duckdb.js';
import { decodedRows } from '../helpers/hyparquet-count.js';
import { mulberry32, testSeed } from '../helpers/seeded-random.js';

let dir: string;
beforeAll(() => {
  dir = tempDir('albert-parquet-');
});
afterAll(() => cleanup(dir));

const item = (type: DataType, nullable = false) => new Field('item', type, nullable);
const dataOf = (type: DataType, values: unknown[]) => vectorFromArray(values as never[], type as never).data[0];

/** Writes `rows` (plain JS values, one object per row) as the columns of `schema`, in row groups of `groups` rows each. */
async function writeRows(name: string, schema: Schema, rows: Record<string, unknown>[], groups: number[]): Promise<string> {
  const path = join(dir, name);
  const w = await ParquetFileWriter.create(path, schema);
  let at = 0;
  for (const n of groups) {
    const slice = rows.slice(at, at + n);
    await w.write(recordBatch(schema, schema.fields.map((f) => dataOf(f.type, slice.map((r) => r[f.name]))), n));
    at += n;
  }
  await w.commit();
  return path;
}

// DuckDB (test/interop) reads back what the writer wrote; without it those tests skip, and say so.
const itDuck = it.skipIf(!duckdbForTests());

describe('ParquetFileWriter', () => {
  itDuck('writes every column type the tasks write, nulls and empty lists included, as DuckDB reads them back', async () => {
    const prediction = new Struct([new Field('position', new Int32(), false), new Field('token', new Utf8(), false), new Field('score', new Float32(), false)]);
    const schema = new Schema(
      [
        new Field('id', new Utf8(), false),
        new Field('embedding', fixedSizeListType(3), false),
        new Field('n_tokens', new Int32(), false),
        new Field('truncated', new Bool(), false),
        new Field('predictions', new List(item(prediction)), false),
        new Field('tokens', new List(item(new Utf8())), false),
        new Field('token_ids', new List(item(new Int32())), false),
        new Field('token_embeddings', new List(item(fixedSizeListType(2))), false),
        new Field('note', new Utf8(), true),
        new Field('maybe', new List(item(new Int32(), true)), true),
        new Field('big', new Int64(), false),
        new Field('wide', new Float64(), false),
        new Field('tiny', new Int8(), false),
        new Field('unsigned', new Uint32(), false),
      ],
      new Map([['albert.task', 'test'], ['albert.labels', '["a","b"]']]),
    );
    const rows = [
      { id: 'r0', embedding: [0, 0.5, 1], n_tokens: 1, truncated: true, predictions: [{ position: 1, token: 'x', score: 0.5 }], tokens: ['a', 'b'], token_ids: [1, 2], token_embeddings: [[1, 2], [3, 4]], note: 'é ∑ 🙂', maybe: [1, null], big: 1n, wide: 1.5, tiny: 1, unsigned: 1 },
      { id: 'r1', embedding: [1.5, 2, 2.5], n_tokens: 2, truncated: false, predictions: [], tokens: [], token_ids: [], token_embeddings: [], note: null, maybe: null, big: -2n, wide: -2.5, tiny: -2, unsigned: 2 },
      { id: '', embedding: [3, 3.5, 4], n_tokens: 3, truncated: true, predictions: [{ position: 2, token: 'y', score: 0.25 }, { position: 3, token: '', score: 0.125 }], tokens: ['c'], token_ids: [3], token_embeddings: [[5, 6]], note: '', maybe: [], big: 2n ** 40n, wide: 1e300, tiny: 127, unsigned: 4_000_000_000 },
      { id: 'r3', embedding: [4.5, 5, 5.5], n_tokens: 4, truncated: true, predictions: [], tokens: ['d', 'e', 'f'], token_ids: [4, 5, 6], token_embeddings: [[7, 8], [9, 10], [11, 12]], note: null, maybe: [null], big: 0n, wide: 0, tiny: -128, unsigned: 0 },
    ];
    const path = await writeRows('types.parquet', schema, rows, [3, 1]);
    const names = schema.fields.map((f) => f.name);
    const got = await duck(`SELECT ${names.join(', ')} FROM read_parquet(${sqlPath(path)})`);
    expect(got).toEqual(rows.map((r) => names.map((n) => (typeof r[n as keyof typeof r] === 'bigint' ? Number(r[n as keyof typeof r]) : r[n as keyof typeof r]))));
    expect(await duck(`SELECT count(*) FROM parquet_metadata(${sqlPath(path)}) WHERE path_in_schema = 'id'`)).toEqual([[2]]);
    const kv = await duck(`SELECT decode(key), decode(value) FROM parquet_kv_metadata(${sqlPath(path)}) ORDER BY 1`);
    expect(kv.map((r) => r[0])).toEqual(['ARROW:schema', 'albert.labels', 'albert.task']);
    expect(kv[1][1]).toBe('["a","b"]');
    // Embeddings are 32-bit lists of float (HF datasets rejects large_list).
    const types = Object.fromEntries(await duck(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${sqlPath(path)}))`) as [string, string][]);
    expect(types).toMatchObject({ embedding: 'FLOAT[]', token_embeddings: 'FLOAT[][]', tokens: 'VARCHAR[]', token_ids: 'INTEGER[]', truncated: 'BOOLEAN', tiny: 'TINYINT', unsigned: 'UINTEGER' });
    expect(await checkParquetFile(path)).toBeNull();
  });

  itDuck('seeded random nesting (lists of lists and structs, nulls at every level) reads back exactly', async () => {
    const seed = testSeed();
    console.log(`parquet random nesting: ALBERT_TEST_SEED=${seed}`);
    const rnd = mulberry32(seed);
    const pick = (n: number) => Math.floor(rnd() * n);
    const inner = new Struct([new Field('s', new Utf8(), true), new Field('v', new FixedSizeList(3, item(new Float32(), true)), true)]);
    const schema = new Schema([
      new Field('ll', new List(item(new List(item(new Int32(), true)), true)), true),
      new Field('ls', new List(item(inner, true)), false),
      new Field('b', new Bool(), true),
    ]);
    const maybe = <T>(make: () => T, pNull: number): T | null => (rnd() < pNull ? null : make());
    const list = <T>(make: () => T, max: number): T[] => Array.from({ length: pick(max + 1) }, make);
    const rows = Array.from({ length: 700 }, () => ({
      // Long runs of equal levels and short ones, so both hybrid run kinds occur.
      ll: maybe(() => list(() => maybe(() => list(() => maybe(() => pick(1000) - 500, 0.2), rnd() < 0.1 ? 40 : 4), 0.2), 5), 0.15),
      ls: list(() => maybe(() => ({ s: maybe(() => 'x'.repeat(pick(5)), 0.3), v: maybe(() => [pick(8) / 4, maybe(() => pick(8) / 4, 0.3), 1], 0.3) }), 0.2), 3),
      b: maybe(() => rnd() < 0.5, 0.3),
    }));
    const path = await writeRows(`random-${seed}.parquet`, schema, rows, [1, 250, 449]);
    const got = await duck(`SELECT ll, ls, b FROM read_parquet(${sqlPath(path)})`);
    expect(got).toEqual(rows.map((r) => [r.ll, r.ls, r.b]));
  });

  itDuck('cuts a large nested column into pages, and a window into one row group', async () => {
    const H = 64;
    const schema = new Schema([new Field('id', new Int32(), false), new Field('token_embeddings', new List(item(fixedSizeListType(H))), false)]);
    const rows = 1500;
    const counts = Array.from({ length: rows }, (_, i) => 20 + (i % 13));
    const total = counts.reduce((a, b) => a + b, 0);
    const floats = Float32Array.from({ length: total * H }, (_, k) => (k % 1000) / 8);
    const offsets = new Int32Array(rows + 1);
    counts.forEach((c, i) => (offsets[i + 1] = offsets[i] + c));
    const { makeData } = await import('apache-arrow');
    const tokens = makeData({ type: schema.fields[1].type, length: rows, valueOffsets: offsets, child: fixedSizeFloat32Data(floats, H) });
    const path = join(dir, 'pages.parquet');
    const w = await ParquetFileWriter.create(path, schema);
    await w.write(recordBatch(schema, [dataOf(new Int32(), Array.from({ length: rows }, (_, i) => i)), tokens], rows));
    await w.commit();
    // About 2.4 M floats: more than 8 pages of 256 Ki level slots each.
    expect(readFileSync(path).length).toBeGreaterThan(total * H * 4);
    const [[n, groups]] = await duck(`SELECT count(*), (SELECT count(DISTINCT row_group_id) FROM parquet_metadata(${sqlPath(path)})) FROM read_parquet(${sqlPath(path)})`);
    expect([n, groups]).toEqual([rows, 1]);
    const check = await duck(`SELECT id, len(token_embeddings), token_embeddings[1][1], token_embeddings[-1][${H}] FROM read_parquet(${sqlPath(path)}) WHERE id IN (0, 777, 1499) ORDER BY id`);
    const at = (k: number) => (k % 1000) / 8;
    expect(check).toEqual([0, 777, 1499].map((i) => [i, counts[i], at(offsets[i] * H), at(offsets[i + 1] * H - 1)]));
  });

  it.skipIf(!existsSync('/proc/self/status'))('shreds a window of base-size token embeddings page by page, never the 64 first rows at once', async () => {
    // The first page of a nested column was 64 rows whatever their size: 64 rows of 512
    // tokens at H=768 are 25 M slots, ~350 MB of levels and indexes at once.
    const script = `
      import { Field, Int32, List, Schema, makeData, vectorFromArray } from 'apache-arrow';
      import { ParquetFileWriter } from './dist/src/io/parquet-file-writer.js';
      import { fixedSizeFloat32Data, fixedSizeListType, recordBatch } from './dist/src/tasks/arrow-columns.js';
      import { readFileSync } from 'node:fs';
      const hwm = () => Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
      const rows = 64, T = 512, H = 768;
      const schema = new Schema([new Field('id', new Int32(), false), new Field('token_embeddings', new List(new Field('item', fixedSizeListType(H), false)), false)]);
      const floats = new Float32Array(rows * T * H).fill(0.5);
      const offsets = Int32Array.from({ length: rows + 1 }, (_, i) => i * T);
      const tokens = makeData({ type: schema.fields[1].type, length: rows, valueOffsets: offsets, child: fixedSizeFloat32Data(floats, H) });
      const batch = recordBatch(schema, [vectorFromArray(Array.from({ length: rows }, (_, i) => i), new Int32()).data[0], tokens], rows);
      const w = await ParquetFileWriter.create(process.argv.at(-1), schema);
      const before = hwm();
      await w.write(batch);
      await w.commit();
      console.log(JSON.stringify({ before, after: hwm() }));
    `;
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, join(dir, 'base-tokens.parquet')], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20 });
    const { before, after } = JSON.parse(out) as { before: number; after: number };
    console.log(`peak RSS while writing 64 x 512 x 768 token embeddings: +${(after - before).toFixed(0)} MB over ${before.toFixed(0)} MB`);
    expect(after - before).toBeLessThan(80);
    expect(await decodedRows(join(dir, 'base-tokens.parquet'))).toBe(64);
  }, 120_000);

  it('checks a committed part by its footer', async () => {
    const schema = new Schema([new Field('id', new Utf8(), false)]);
    const path = await writeRows('check.parquet', schema, [{ id: 'a' }], [1]);
    expect(await checkParquetFile(path)).toBeNull();
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 3));
    expect(await checkParquetFile(path)).toMatch(/does not end with the Parquet footer magic/);
    writeFileSync(path, Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(8), Buffer.from([0xff, 0, 0, 0]), Buffer.from('PAR1')]));
    expect(await checkParquetFile(path)).toMatch(/footer length \(255\) does not fit its 20 bytes/);
    // With no row group (a shard whose rows were all rejected) it is still a valid file.
    const empty = await writeRows('empty.parquet', schema, [], []);
    expect(await decodedRows(empty)).toBe(0);
  });

  it('says which column it cannot write', () => {
    expect(OUTPUT_FORMATS.parquet.cannotWrite(new Schema([new Field('id', new Utf8(), false), new Field('day', new DateDay(), false)]))).toMatch(/column "day": Arrow type Date32<DAY> has no Parquet form here/);
    expect(OUTPUT_FORMATS.parquet.cannotWrite(new Schema([new Field('id', new Utf8(), false)]))).toBeNull();
  });
});
