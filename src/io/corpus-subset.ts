/**
 * A sample of a CSV corpus: its first N non-blank rows (`id`, `text`), written to a temp
 * CSV that benchmarks (`albert bench`, `npm run bench`) and accuracy checks read. When the corpus has fewer rows than asked, it is
 * read again from the top with fresh ids (`r1-<id>`, `r2-<id>`, …) until N rows are
 * written: streamed, never held in memory, so memory mode can make 1M-row inputs.
 */
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';

export interface CorpusSubset {
  path: string;
  rows: number;
  /** How many times the corpus was read (1: no repetition). */
  passes: number;
  /** Blank texts skipped (the pipeline would reject them). */
  skippedBlank: number;
  bytes: number;
}

export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function writeCorpusSubset(corpus: string, out: string, rows: number, textColumn = 'text', idColumn = 'id'): Promise<CorpusSubset> {
  const ws = createWriteStream(out);
  let bytes = 0;
  const write = async (line: string): Promise<void> => {
    bytes += Buffer.byteLength(line);
    if (!ws.write(line)) await once(ws, 'drain');
  };
  await write('id,text\n');
  let written = 0;
  let passes = 0;
  let skippedBlank = 0;
  while (written < rows) {
    passes++;
    let seenThisPass = 0;
    let writtenThisPass = 0;
    const input = createReadStream(corpus);
    const parser = input.pipe(parse({ columns: true, skip_empty_lines: true, relax_column_count: true }));
    for await (const rec of parser as AsyncIterable<Record<string, string | undefined>>) {
      const text = rec[textColumn] ?? '';
      seenThisPass++;
      if (text.trim() === '') {
        if (passes === 1) skippedBlank++;
        continue;
      }
      const baseId = rec[idColumn] ?? String(seenThisPass - 1);
      const id = passes === 1 ? baseId : `r${passes - 1}-${baseId}`;
      await write(`${csvField(id)},${csvField(text)}\n`);
      writtenThisPass++;
      if (++written >= rows) break;
    }
    parser.destroy();
    input.destroy();
    if (writtenThisPass === 0) throw new Error(`${corpus}: no non-blank rows in column ${textColumn}`);
  }
  ws.end();
  await once(ws, 'finish');
  return { path: out, rows: written, passes, skippedBlank, bytes };
}

/** Reads a (small) subset CSV written by writeCorpusSubset, in order. */
export function readSubset(path: string): { ids: string[]; texts: string[] } {
  const recs = parseSync(readFileSync(path), { columns: true, skip_empty_lines: true }) as Array<{ id: string; text: string }>;
  return { ids: recs.map((r) => r.id), texts: recs.map((r) => r.text) };
}
