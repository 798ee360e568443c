import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { OutputError } from '../errors.js';
import { readManifest } from './manifest.js';
import type { RejectRecord } from './reject.js';

/** A finished job's rows, read back: the table of all parts and each row's input seq. */
export interface JobRows {
  /** Null when every row was rejected. */
  readonly table: Table | null;
  /** Input row (`seq`) of each table row. */
  readonly seqs: Int32Array;
  readonly rejects: readonly RejectRecord[];
}

/**
 * Reads a completed job's output folder whole (for jobs whose output fits in memory: a
 * training set, an evaluation set). Each row's seq follows from the manifest: a part
 * covers [seqStart, seqEnd) and holds, in order, the rows of that range not rejected.
 *
 * @example
 * ```ts
 * const { table, seqs } = await readJobRows('out/embeddings');
 * ```
 */
export async function readJobRows(out: string): Promise<JobRows> {
  const manifest = await readManifest(out);
  if (manifest === null || manifest.status !== 'complete') {
    throw new OutputError('ALB_RESUME_NO_JOB', `${out} holds no complete job to read back (${manifest === null ? 'no manifest.json' : `status ${manifest.status}`})`, { out });
  }
  const rejectsText = manifest.rows_rejected > 0 ? (await readFile(join(out, manifest.rejects.file))).subarray(0, manifest.rejects.bytes).toString('utf8') : '';
  const rejects = rejectsText.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as RejectRecord);
  const rejected = new Set(rejects.map((r) => r.row));
  const seqs = new Int32Array(manifest.rows_out);
  let at = 0;
  const tables: Table[] = [];
  for (const part of manifest.parts) {
    if (part.rows > 0) tables.push(tableFromIPC(await readFile(join(out, part.file))));
    for (let s = part.seqStart; s < part.seqEnd; s++) if (!rejected.has(s)) seqs[at++] = s;
  }
  const table = tables.length > 0 ? tables.reduce((a, b) => a.concat(b)) : null;
  if (at !== manifest.rows_out || (table?.numRows ?? 0) !== at) {
    throw new OutputError('ALB_OUTPUT_CORRUPT', `${out}: the parts hold ${table?.numRows ?? 0} rows and the manifest's ranges less rejects ${at}, where it records ${manifest.rows_out}`, { out });
  }
  return { table, seqs, rejects };
}
