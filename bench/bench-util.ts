/**
 * Helpers shared by the model benches: paths, CSV rows, flags, and batched ORT runs
 * over pre-tokenized rows (sorted by length, padded per batch, returned in input order).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import ort from 'onnxruntime-node';

/** The repository root, from src or from dist/bench. */
export const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));

/** `--name value` flags with defaults; `--flag` alone reads as 'true'. */
export function flags(defaults: Record<string, string>): Record<string, string> {
  const out = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([\w-]+)$/.exec(argv[i]);
    if (!m || !(m[1] in defaults)) throw new Error(`unknown argument ${argv[i]}; known: ${Object.keys(defaults).map((k) => `--${k}`).join(' ')}`);
    out[m[1]] = argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[++i] : 'true';
  }
  return out;
}

export function readCsv(path: string): Array<Record<string, string>> {
  return parse(readFileSync(path), { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
}

export interface TokenizedRow { ids: number[]; typeIds: number[] }

/**
 * Runs `session` over rows in length-sorted batches and returns, per output name, one
 * Float32Array per row (the row's slice of the batch output, padding positions included
 * for [B, S, ...] outputs only up to the batch's S — callers use per-row outputs).
 */
export async function runRows(session: ort.InferenceSession, rows: readonly TokenizedRow[], fetch: string[], batchSize = 16): Promise<Array<Record<string, Float32Array>>> {
  const order = rows.map((_, i) => i).sort((a, b) => rows[a].ids.length - rows[b].ids.length);
  const out: Array<Record<string, Float32Array>> = new Array(rows.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const idx = order.slice(start, start + batchSize);
    const S = Math.max(...idx.map((i) => rows[i].ids.length));
    const B = idx.length;
    const ids = new BigInt64Array(B * S), mask = new BigInt64Array(B * S), types = new BigInt64Array(B * S);
    idx.forEach((r, b) => rows[r].ids.forEach((id, s) => {
      ids[b * S + s] = BigInt(id);
      mask[b * S + s] = 1n;
      types[b * S + s] = BigInt(rows[r].typeIds[s]);
    }));
    const res = await session.run({
      input_ids: new ort.Tensor('int64', ids, [B, S]),
      attention_mask: new ort.Tensor('int64', mask, [B, S]),
      token_type_ids: new ort.Tensor('int64', types, [B, S]),
    }, fetch);
    idx.forEach((r, b) => {
      const entry: Record<string, Float32Array> = {};
      for (const name of fetch) {
        const data = res[name].data as Float32Array;
        const per = data.length / B;
        entry[name] = data.slice(b * per, (b + 1) * per);
      }
      out[r] = entry;
    });
  }
  return out;
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}
