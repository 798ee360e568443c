import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

/**
 * How many rows a Parquet file holds, every row decoded by hyparquet (a reader apart from
 * our writer, and installed with the package): the check that needs no DuckDB.
 *
 * @example
 * ```ts
 * expect(await decodedRows(join(out, 'part-00001.parquet'))).toBe(200);
 * ```
 */
export async function decodedRows(path: string): Promise<number> {
  return (await parquetReadObjects({ file: await asyncBufferFromFile(path), compressors })).length;
}
