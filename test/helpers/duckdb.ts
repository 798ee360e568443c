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
