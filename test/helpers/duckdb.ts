import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './cli.js';

/** The part of @duckdb/node-api the tests use (its types live in test/interop, which may not be installed). */
interface DuckDb {
  DuckDBInstance: {
    create(path: string): Promise<{
      connect(): Promise<{ runAndReadAll(sql: string): Promise<{ getRowsJS(): unknown[][] }>; closeSync(): void }>;
      closeSync(): void;
    }>;
  };
}

const INTEROP = join(ROOT, 'test', 'interop');

/**
 * Whether the interop tests can run: DuckDB is installed into test/interop (`npm run
 * test:install`, 70 MB kept out of the main install). Without it they are skipped, and say
 * so, so the README's `npm test` holds on a fresh clone; where ALBERT_REQUIRE_DUCKDB=1 (CI
 * sets it) a missing DuckDB fails the suite instead.
 */
export function duckdbForTests(): boolean {
  if (existsSync(join(INTEROP, 'node_modules', '@duckdb', 'node-api'))) return true;
  if (process.env.ALBERT_REQUIRE_DUCKDB === '1') {
    throw new Error('DuckDB is not installed in test/interop: the interop tests read our Parquet with it. Run `npm run test:install`, or unset ALBERT_REQUIRE_DUCKDB to let them skip.');
  }
  console.log('DuckDB is not installed (npm run test:install): skipping the tests that read or write Parquet with it');
  return false;
}

let loaded: Promise<DuckDb> | null = null;

/**
 * Runs SQL in an in-memory DuckDB, an independent Parquet reader (its own C++ decoder), and
 * returns the rows as plain JS (BIGINTs as numbers when they are safe integers; read BLOBs
 * such as key-value metadata with `decode(value)`).
 *
 * @example
 * ```ts
 * const [[n]] = await duck(`SELECT count(*) FROM read_parquet('${out}/*.parquet')`);
 * ```
 */
export async function duck(sql: string): Promise<unknown[][]> {
  loaded ??= import(pathToFileURL(join(INTEROP, 'index.mjs')).href) as Promise<DuckDb>;
  const { DuckDBInstance } = await loaded;
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const reader = await c.runAndReadAll(sql);
    return reader.getRowsJS().map((row) => row.map(plain));
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** A path quoted as a DuckDB string literal. */
export function sqlPath(path: string): string {
  return `'${path.replace(/'/g, "''")}'`;
}

function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/**
 * The rows of `columns` in the Parquet parts of `files` (a glob), in part order and row
 * order within each part: what the job committed, read by DuckDB.
 *
 * @example
 * ```ts
 * const rows = await parquetRows(join(out, 'part-*.parquet'), ['id', 'embedding']);
 * ```
 */
export async function parquetRows(files: string, columns: readonly string[]): Promise<unknown[][]> {
  return duck(`SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM read_parquet(${sqlPath(files)}, filename = true, file_row_number = true) ORDER BY filename, file_row_number`);
}
