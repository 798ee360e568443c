import { DuckDBInstance } from '@duckdb/node-api';

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
