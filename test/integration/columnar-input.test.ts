import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Worker threads run compiled JavaScript, so the library runs from dist/ (npm test builds first).
import { embedTask, runJob } from '../../dist/src/index.js';
import { cleanup, outputRows, readManifestJson, readRejects, runCli, tempDir, tinyModel, writeCorpus } from '../helpers/cli.js';
import { parse } from 'csv-parse/sync';
import { duck, duckdbForTests, sqlPath } from '../helpers/duckdb.js';

/**
 * Parquet and Arrow inputs through the CLI: the same rows give the same parts as from CSV
 * (byte for byte: the parts do not record the input's format), resume checks the input's
 * committed row groups, and static shards cut a Parquet file by rows.
 */
let dir: string;
let model: string;
let csv: string;
let parquet: string;
const N = 5000;
const empty = (i: number) => i % 401 === 17;
/** DuckDB (test/interop) writes the Parquet inputs; without it the Parquet tests skip, and say so. */
const DUCKDB = duckdbForTests();
const itDuck = it.skipIf(!DUCKDB);

/** The CSV's rows as Parquet, written by DuckDB in row groups of up to `rows` rows. */
async function toParquet(from: string, to: string, rows: number, edit = ''): Promise<void> {
  await duck(`SET threads = 1; COPY (SELECT id, ${edit || 'text'} AS text FROM read_csv(${sqlPath(from)}, all_varchar = true, nullstr = '\\N')) TO ${sqlPath(to)} (FORMAT parquet, ROW_GROUP_SIZE ${rows})`);
}

beforeAll(async () => {
  dir = tempDir();
  model = tinyModel('albert-tiny');
  csv = join(dir, 'corpus.csv');
  writeCorpus(csv, N, 'doc', empty);
  parquet = join(dir, 'corpus.parquet');
  if (DUCKDB) await toParquet(csv, parquet, 2048);
});
afterAll(() => cleanup(dir));

const common = () => ['--model', model, '--max-length', '64', '--window-rows', '250', '--workers', '2', '--threads', '1', '--quiet'];
const shas = (out: string) => (readManifestJson(out).parts as Array<{ sha256: string }>).map((p) => p.sha256);
const rejectsOf = (out: string) => readRejects(out).map((r) => [r.row, r.id, r.code]);

async function run(args: string[], out: string, code = 0) {
  const r = await runCli([...args, '--out', out, ...common()]);
  expect(r.code, r.stderr).toBe(code);
  return r;
}

describe('Parquet and Arrow input', () => {
  itDuck('a Parquet file of 3 row groups gives embed and label the parts the same rows give from CSV', async () => {
    const groups = await duck(`SELECT row_group_num_rows FROM parquet_metadata(${sqlPath(parquet)}) WHERE path_in_schema = 'id' ORDER BY row_group_id`);
    expect(groups.length).toBe(3);
    for (const task of [['embed'], ['label', '--model', tinyModel('albert-tiny-cls'), '--top-k', '2']]) {
      const args = (input: string) => [task[0], input, ...common(), ...task.slice(1), '--part-rows', '1000'];
      const fromCsv = join(dir, `${task[0]}-csv`);
      const fromParquet = join(dir, `${task[0]}-parquet`);
      expect((await runCli([...args(csv), '--out', fromCsv])).code).toBe(0);
      const r = await runCli([...args(parquet), '--out', fromParquet]);
      expect(r.code, r.stderr).toBe(0);
      expect(shas(fromParquet)).toEqual(shas(fromCsv));
      expect(rejectsOf(fromParquet)).toEqual(rejectsOf(fromCsv));
      // Positions in a Parquet input are row numbers: a reject's offset is its row in the file.
      expect(readRejects(fromParquet)[0]).toMatchObject({ row: 17, offset: 17, code: 'ALB_ROW_EMPTY_TEXT' });
      const m = readManifestJson(fromParquet);
      expect(m).toMatchObject({ rows_in: N, rows_rejected: 13, next: { seq: N } });
      expect(m.parts[1]).toMatchObject({ offsetStart: 1000, offsetEnd: 2000 });
      expect(m.fingerprint.format).toBe(null);
    }
  });

  it('an Arrow IPC file of record batches gives the same parts too', async () => {
    const rows = parse(readFileSync(csv), { from_line: 2 }) as string[][];
    const batches = [0, 1500, 3000, 4500].map((at) => {
      const slice = rows.slice(at, at + 1500);
      return new Table({ id: vectorFromArray(slice.map((r) => r[0]), new Utf8()), text: vectorFromArray(slice.map((r) => r[1]), new Utf8()) });
    });
    const arrow = join(dir, 'corpus.arrow');
    writeFileSync(arrow, tableToIPC(batches[0].concat(...batches.slice(1)), 'file'));
    await run(['embed', arrow, '--part-rows', '1000'], join(dir, 'arrow-in'));
    await run(['embed', csv, '--part-rows', '1000'], join(dir, 'csv-ref'));
    expect(shas(join(dir, 'arrow-in'))).toEqual(shas(join(dir, 'csv-ref')));
  });

  itDuck('--resume re-hashes the committed row groups: a changed file is refused, the restored one resumes to the reference', async () => {
    const input = join(dir, 'resume.parquet');
    const args = ['embed', input, '--part-rows', '500'];
    copyFileSync(parquet, input);
    const ref = join(dir, 'resume-ref');
    await run(args, ref);

    const out = join(dir, 'resume-out');
    // A stop after 500 rows, by the library's AbortSignal: every finished window is committed,
    // so a part or two are, whatever the machine's load (a reject limit raced the first commit).
    const controller = new AbortController();
    const stopped = await runJob(embedTask, {
      input, out, model, maxLength: 64, windowRows: 250, partRows: 500, workers: 2, threads: 1, quiet: true,
      signal: controller.signal,
      onProgress: (p) => p.rowsDone >= 500 && controller.abort(),
    });
    expect(stopped.status).toBe('interrupted');
    const m = readManifestJson(out);
    expect(m.parts.length).toBeGreaterThan(0);
    expect(m.next.seq).toBeLessThan(N);
    expect(m.next.offset).toBe(m.next.seq);
    expect(m.parts[0].input.start).toBe(0);

    // One text changed in the first row group: the committed rows were read from other bytes.
    const changed = join(dir, 'changed.parquet');
    await toParquet(csv, changed, 2048, `CASE WHEN id = 'doc-3' THEN 'another text' ELSE text END`);
    copyFileSync(changed, input);
    const refused = await run([...args, '--resume'], out, 1);
    expect(refused.stderr).toContain('ALB_RESUME_INPUT_CHANGED');
    expect(refused.stderr).toContain('resume.parquet');

    copyFileSync(parquet, input);
    await run([...args, '--resume'], out);
    // The same rows as the reference; the part holding the stop may be short, so not its bytes.
    expect(outputRows(out)).toEqual(outputRows(ref));
    expect(rejectsOf(out)).toEqual(rejectsOf(ref));
    // A complete job on a Parquet input stays complete (its footer is no appended row).
    const again = await runCli([...args, '--out', out, '--resume', ...common().filter((a) => a !== '--quiet')]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('already holds a complete job');

    // Part 1 (rows 500-999) has an empty input range: its rows came from the first row
    // group, which part 0's range holds. A repair of part 1 checks that range too.
    const [p0, p1] = readManifestJson(out).parts;
    expect(p1.input).toMatchObject({ start: p0.input.end, end: p0.input.end });
    const before = shas(out);
    const part = join(out, 'part-00001.arrow');
    writeFileSync(part, readFileSync(part).subarray(0, 100));
    copyFileSync(changed, input);
    const refusedRepair = await runCli(['repair', out, '--quiet']);
    expect(refusedRepair.code).toBe(1);
    expect(refusedRepair.stderr).toContain('ALB_RESUME_INPUT_CHANGED');
    copyFileSync(parquet, input);
    const repaired = await runCli(['repair', out, '--quiet']);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(shas(out)).toEqual(before);
  });

  itDuck('static shards cut a Parquet file by rows inside its row groups, and merge to the single run', async () => {
    const single = join(dir, 'shard-single');
    await run(['embed', parquet, '--part-rows', '1000'], single);
    const out = join(dir, 'sharded');
    const runs = await Promise.all([0, 1].map((i) => runCli(['embed', parquet, '--out', out, ...common(), '--shard-count', '2', '--shard-index', String(i), '--shard-rows', '1000'])));
    runs.forEach((r) => expect(r.code, r.stderr).toBe(0));
    expect((await runCli(['merge-manifest', out])).code).toBe(0);
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8'));
    expect(plan.shards.map((s: { startOffset: number }) => s.startOffset)).toEqual([0, 1000, 2000, 3000, 4000]);
    expect(shas(out)).toEqual(shas(single));
    expect(readManifestJson(out)).toMatchObject({ rows_in: N, rows_rejected: 13 });
  });
});
