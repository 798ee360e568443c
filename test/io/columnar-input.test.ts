import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { Table, tableFromArrays, tableToIPC, vectorFromArray, Utf8, Dictionary, Int32, RecordBatchReader, type RecordBatchFileReader } from 'apache-arrow';
import { rowGroupBytes } from '../../src/io/parquet-reader.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveReadOptions } from '../../src/io/read-source.js';
import { planShards } from '../../src/shards/shard-plan.js';
import { CLI, cleanup, tempDir } from '../helpers/cli.js';
import { duck, duckdbForTests, sqlPath } from '../helpers/duckdb.js';
import { readAll, outline, rowsOf, rejectsOf } from '../helpers/io-files.js';

/**
 * Parquet and Arrow inputs: rows read unit by unit (row groups, record batches) with the
 * record options of the text formats, positions that are row numbers, and a shard plan
 * from the footer. The Parquet files are written by DuckDB, not by us.
 */
let dir: string;
const N = 5000;
let pq: string;
/** DuckDB (test/interop) writes the Parquet inputs; without it the Parquet tests skip, and say so. */
const DUCKDB = duckdbForTests();

/** `id`, `text` (row 7 empty, row 11 null, row 13 whitespace), `n` (an integer), `score` (a double), in 3 row groups. */
async function parquetFixture(name: string, compression = 'snappy'): Promise<string> {
  const path = join(dir, name);
  await duck(`SET threads = 1; COPY (SELECT 'id-' || i AS id, CASE WHEN i = 7 THEN '' WHEN i = 11 THEN NULL WHEN i = 13 THEN '  ' ELSE 'text number ' || i END AS text, i * 10 AS n, i / 2 AS score FROM range(${N}) t(i) ORDER BY i) TO ${sqlPath(path)} (FORMAT parquet, ROW_GROUP_SIZE 2048, COMPRESSION ${compression})`);
  return path;
}

beforeAll(async () => {
  dir = tempDir('albert-columnar-');
  if (DUCKDB) pq = await parquetFixture('in.parquet');
});
afterAll(() => cleanup(dir));

describe.skipIf(!DUCKDB)('Parquet input', () => {
  it('reads every row group, with the rejects of the text formats, and row numbers as offsets', async () => {
    const groups = await duck(`SELECT count(*) FROM parquet_metadata(${sqlPath(pq)}) WHERE path_in_schema = 'id'`);
    expect(groups[0][0]).toBeGreaterThanOrEqual(3);
    const items = await readAll({ input: pq });
    expect(items).toHaveLength(N);
    expect(outline(items).filter(([, c]) => c !== 'row')).toEqual([[7, 'ALB_ROW_EMPTY_TEXT'], [11, 'ALB_ROW_MISSING_TEXT'], [13, 'ALB_ROW_EMPTY_TEXT']]);
    const rows = rowsOf(items);
    expect(rows[0]).toEqual({ seq: 0, id: 'id-0', text: 'text number 0', offset: 0 });
    expect(rows.at(-1)).toEqual({ seq: N - 1, id: `id-${N - 1}`, text: `text number ${N - 1}`, offset: N - 1 });
    expect(rejectsOf(items)[1]).toMatchObject({ seq: 11, id: 'id-11', offset: 11, message: 'column "text" is null' });
  });

  it('reads a range of rows that starts and ends inside row groups, numbered from firstSeq', async () => {
    const items = await readAll({ input: pq, startOffset: 2000, endOffset: 4500, firstSeq: 100 });
    expect(items).toHaveLength(2500);
    expect(rowsOf(items)[0]).toEqual({ seq: 100, id: 'id-2000', text: 'text number 2000', offset: 2000 });
    expect(rowsOf(items).at(-1)).toMatchObject({ seq: 2599, id: 'id-4499', offset: 4499 });
  });

  it('takes --id-column of integers, --text-b-column, --keep-empty, and zstd pages', async () => {
    const z = await parquetFixture('zstd.parquet', 'zstd');
    const items = await readAll({ input: z, idColumn: 'n', textBColumn: 'id', keepEmpty: true, endOffset: 12 });
    expect(rowsOf(items)[7]).toEqual({ seq: 7, id: '70', text: '', textB: 'id-7', offset: 7 });
    expect(rejectsOf(items)).toEqual([expect.objectContaining({ seq: 11, code: 'ALB_ROW_MISSING_TEXT' })]);
  });

  it('names the columns it found when one is missing, and the type when it cannot hold text', async () => {
    await expect(readAll({ input: pq, textColumn: 'body' })).rejects.toMatchObject({
      code: 'ALB_INPUT_MISSING_COLUMN',
      message: expect.stringContaining('has no column "body" (--text-column); columns found: ["id","text","n","score"]'),
    });
    await expect(readAll({ input: pq, idColumn: 'uid' })).rejects.toMatchObject({ code: 'ALB_INPUT_MISSING_COLUMN' });
    await expect(readAll({ input: pq, textColumn: 'n' })).rejects.toMatchObject({ code: 'ALB_INPUT_COLUMN_TYPE', message: expect.stringMatching(/column "n" \(--text-column\) is INT64.*, not strings/) });
    await expect(readAll({ input: pq, idColumn: 'score' })).rejects.toMatchObject({ code: 'ALB_INPUT_COLUMN_TYPE', message: expect.stringContaining('is DOUBLE, not strings or integers') });
  });

  it('refuses what it cannot read by position: a gzipped file, a file that is not Parquet', async () => {
    const gz = join(dir, 'in.parquet.gz');
    writeFileSync(gz, gzipSync(readFileSync(pq)));
    await expect(readAll({ input: gz })).rejects.toMatchObject({ code: 'ALB_INPUT_UNREADABLE', message: expect.stringContaining('gzip-compressed, and Parquet input is read by position') });
    const fake = join(dir, 'fake.parquet');
    writeFileSync(fake, 'id,text\na,b\n');
    await expect(readAll({ input: fake })).rejects.toMatchObject({ code: 'ALB_INPUT_UNREADABLE', message: expect.stringContaining('as Parquet') });
  });

  it('a folder of Parquet files is one input: seq and positions run on across files', async () => {
    const folder = join(dir, 'many');
    mkdirSync(folder);
    await duck(`COPY (SELECT 'a-' || i AS id, 'first ' || i AS text FROM range(30) t(i)) TO ${sqlPath(join(folder, 'a.parquet'))} (FORMAT parquet)`);
    await duck(`COPY (SELECT 'b-' || i AS id, 'second ' || i AS text FROM range(20) t(i)) TO ${sqlPath(join(folder, 'b.parquet'))} (FORMAT parquet)`);
    const all = rowsOf(await readAll({ input: folder }));
    expect(all.map((r) => [r.seq, r.offset])).toEqual(Array.from({ length: 50 }, (_, i) => [i, i]));
    const resumed = rowsOf(await readAll({ input: folder, startOffset: 35, firstSeq: 35 }));
    expect(resumed[0]).toEqual({ seq: 35, id: 'b-5', text: 'second 5', offset: 35 });
    expect(resumed).toHaveLength(15);
  });

  it('is planned into shards from its footer: by rows at exact multiples, by bytes at row groups', async () => {
    const read = resolveReadOptions({});
    const byRows = await planShards({ inputs: [pq], run: 'p', shardRows: 1500, read, fingerprint: {} });
    expect(byRows.shards.map((s) => [s.startOffset, s.endOffset, s.firstSeq, s.rows])).toEqual([[0, 1500, 0, 1500], [1500, 3000, 1500, 1500], [3000, 4500, 3000, 1500], [4500, 5000, 4500, 500]]);
    expect(byRows.rows).toBe(N);
    const byBytes = await planShards({ inputs: [pq], run: 'p', shardBytes: 1, read, fingerprint: {} });
    const groups = (await duck(`SELECT row_group_num_rows FROM parquet_metadata(${sqlPath(pq)}) WHERE path_in_schema = 'id' ORDER BY row_group_id`)).map((r) => r[0]);
    expect(byBytes.shards.map((s) => s.rows)).toEqual(groups);
  });
});

describe('Parquet row group bytes', () => {
  it('takes a dictionary_page_offset of 0 as none, as hyparquet does (some writers store 0)', () => {
    const chunk = (dictionary: bigint | undefined, data: bigint, size: bigint) => ({ meta_data: { dictionary_page_offset: dictionary, data_page_offset: data, total_compressed_size: size } });
    const group = { columns: [chunk(0n, 100n, 50n), chunk(undefined, 150n, 30n), chunk(180n, 200n, 40n)] } as unknown as Parameters<typeof rowGroupBytes>[0];
    expect(rowGroupBytes(group)).toEqual({ byteStart: 100, byteEnd: 220 });
  });
});

describe('Arrow input', () => {
  it('reads an Arrow IPC file batch by batch, dictionary-encoded strings included', async () => {
    const [first, ...rest] = [0, 1, 2].map((b) => {
      const ids = Array.from({ length: 40 }, (_, i) => `id-${b * 40 + i}`);
      return new Table({ id: vectorFromArray(ids, new Utf8()), text: vectorFromArray(ids.map((id) => (id === 'id-41' ? '' : `text of ${id}`)), new Utf8()) });
    });
    const file = join(dir, 'in.arrow');
    const three = first.concat(...rest);
    expect(three.batches).toHaveLength(3);
    writeFileSync(file, tableToIPC(three, 'file'));
    const items = await readAll({ input: file });
    expect(items).toHaveLength(120);
    expect(outline(items).filter(([, c]) => c !== 'row')).toEqual([[41, 'ALB_ROW_EMPTY_TEXT']]);
    expect(rowsOf(items)[100]).toEqual({ seq: 101, id: 'id-101', text: 'text of id-101', offset: 101 });
    expect(rowsOf(await readAll({ input: file, startOffset: 70, endOffset: 90 })).map((r) => r.id)).toEqual(Array.from({ length: 20 }, (_, i) => `id-${70 + i}`));
    const feather = join(dir, 'dict.feather');
    const dict = new Dictionary(new Utf8(), new Int32());
    const t = new Table({ text: vectorFromArray(['a b', 'c d', 'a b'], dict) });
    writeFileSync(feather, tableToIPC(t, 'file'));
    expect(rowsOf(await readAll({ input: feather })).map((r) => [r.id, r.text])).toEqual([['0', 'a b'], ['1', 'c d'], ['2', 'a b']]);
  });

  it('refuses a damaged record batch header with ALB_INPUT_UNREADABLE naming the file, not a stray exception', async () => {
    const bytes = tableToIPC(tableFromArrays({ text: ['a', 'b'] }), 'file');
    const block = RecordBatchReader.from(bytes).open();
    expect(block.isFile()).toBe(true);
    const at = Number((block as RecordBatchFileReader).footer!.getRecordBatch(0)!.offset);
    const damaged = Buffer.from(bytes);
    // The message's length, after its 0xFFFFFFFF continuation marker: now past the header.
    damaged.writeInt32LE(0x7fffffff, at + 4);
    const file = join(dir, 'damaged.arrow');
    writeFileSync(file, damaged);
    await expect(readAll({ input: file })).rejects.toMatchObject({ code: 'ALB_INPUT_UNREADABLE', message: expect.stringMatching(/damaged\.arrow" as an Arrow IPC file: the record batch header at byte \d+ is damaged/) });
  });

  it('a folder of 300 Arrow files is read with 200 file descriptors (footers one file at a time)', async () => {
    // Every file's footer was read at once: EMFILE on f0181.arrow under this limit.
    const folder = join(dir, 'three-hundred');
    mkdirSync(folder);
    for (let i = 0; i < 300; i++) writeFileSync(join(folder, `f${String(i).padStart(4, '0')}.arrow`), tableToIPC(tableFromArrays({ id: [`r${i}`], text: [`text ${i}`] }), 'file'));
    const r = spawnSync('sh', ['-c', 'ulimit -n 200 && exec "$0" "$@"', process.execPath, CLI, 'tokenize', folder], { encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string });
    expect(lines.map((l) => l.id)).toEqual(Array.from({ length: 300 }, (_, i) => `r${i}`));
  }, 120_000);

  it('refuses an IPC stream (no footer to read by batch)', async () => {
    const file = join(dir, 'stream.arrow');
    writeFileSync(file, tableToIPC(tableFromArrays({ text: ['a'] }), 'stream'));
    await expect(readAll({ input: file })).rejects.toMatchObject({ code: 'ALB_INPUT_UNREADABLE', message: expect.stringContaining('not an Arrow IPC file') });
  });
});
