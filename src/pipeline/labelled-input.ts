import { AlbertError, InputError, optionError } from '../errors.js';
import { READ_OPTION_KEYS } from '../io/read-options.js';
import { expandInput, readSource, resolveReadSource, type ReadOptions } from '../io/read-source.js';
import { splitKeys } from '../options.js';
import { isSourceReject } from '../io/row.js';
import type { RejectRecord } from './reject.js';

/**
 * The label column of a labelled input, read by the same readers the job uses, so every
 * label lines up with its row by `seq`. The label pass runs before the model loads: a
 * missing column or a file without labels fails at once, not after the embedding.
 */
export interface LabelledInput {
  /** Labels of each labelled row, by seq (one entry for single-label, the split list for multi-label). */
  readonly bySeq: ReadonlyMap<number, readonly string[]>;
  /** Rows without a label (`ALB_ROW_MISSING_LABEL`), or that the reader could not read. */
  readonly rejects: readonly RejectRecord[];
  /** Rows read, labelled or not. */
  readonly rows: number;
}

export interface LabelReadOptions {
  input: string;
  /** How the job reads the input (other keys, a job's, are ignored here). */
  read: ReadOptions | Readonly<Record<string, unknown>>;
  labelColumn: string;
  /** Split each label cell on this (multi-label); null: the cell is one label. */
  separator: string | null;
}

/**
 * Reads the labels. A cell is trimmed; an empty one is an unlabelled row (rejected with
 * `ALB_ROW_MISSING_LABEL`), except in multi-label mode, where it is a row with none of the
 * labels. Multi-label cells are split on the separator, parts trimmed, empty parts dropped.
 *
 * @example
 * ```ts
 * const labels = await readLabels({ input: 'train.csv', read: {}, labelColumn: 'label', separator: null });
 * labels.bySeq.get(0); // ['docs']
 * ```
 */
export async function readLabels(o: LabelReadOptions): Promise<LabelledInput> {
  if (o.input === '-') throw optionError('input', o.input, 'a file, folder or glob: the labels and the texts are read in two passes, and stdin can be read only once');
  const [readKeys] = splitKeys(o.read as Record<string, unknown>, READ_OPTION_KEYS);
  const { textBColumn: _b, ...read } = readKeys as ReadOptions;
  const textColumn = read.textColumn ?? 'text';
  if (o.labelColumn === textColumn) throw optionError('--label-column', o.labelColumn, `a column other than the text column (--text-column ${textColumn})`);
  // The text reader ignores column names (each line is the text), so reading "the label
  // column" of a .txt would make each line its own label: refuse it instead.
  const format = read.format ?? expandInput(o.input, null)?.format ?? resolveReadSource({ input: o.input }).format;
  if (format === 'text') {
    throw new InputError('ALB_INPUT_MISSING_COLUMN', `input ${JSON.stringify(o.input)} is plain text (${read.format ? '--format text' : 'from its extension'}): one text per line and no columns, so no label column ${JSON.stringify(o.labelColumn)} (--label-column); give the labels in a CSV, TSV, JSONL, Parquet or Arrow input with a label column`, { option: '--label-column', column: o.labelColumn, format, input: o.input });
  }
  const source = readSource({ ...read, input: o.input, textColumn: o.labelColumn, keepEmpty: true });
  const bySeq = new Map<number, string[]>();
  const rejects: RejectRecord[] = [];
  let rows = 0;
  try {
    for await (const item of source) {
      rows++;
      if (isSourceReject(item)) {
        const missing = item.code === 'ALB_ROW_MISSING_TEXT';
        rejects.push({
          row: item.seq, offset: item.offset ?? null, id: item.id ?? null, stage: 'read',
          code: missing ? 'ALB_ROW_MISSING_LABEL' : item.code,
          message: missing ? `no label: ${item.message}` : item.message,
          excerpt: item.excerpt ?? null,
        });
        continue;
      }
      const cell = item.text.trim();
      const labels = o.separator === null ? (cell === '' ? [] : [cell]) : cell.split(o.separator).map((s) => s.trim()).filter((s) => s !== '');
      if (labels.length === 0 && o.separator === null) {
        rejects.push({ row: item.seq, offset: item.offset ?? null, id: item.id, stage: 'read', code: 'ALB_ROW_MISSING_LABEL', message: `column ${JSON.stringify(o.labelColumn)} is empty`, excerpt: null });
        continue;
      }
      bySeq.set(item.seq, [...new Set(labels)]);
    }
  } catch (err) {
    // The readers name --text-column, the option they read the column for; here it is --label-column.
    if (err instanceof AlbertError && (err.code === 'ALB_INPUT_MISSING_COLUMN' || err.code === 'ALB_INPUT_COLUMN_TYPE') && err.message.includes('(--text-column)')) {
      const hint = err.code === 'ALB_INPUT_COLUMN_TYPE' ? '; labels are read as text: store the column as strings (class names, e.g. "0", "1")' : '';
      throw new InputError(err.code, `${err.message.replace('(--text-column)', '(--label-column)')}${hint}`, { ...err.details, option: '--label-column' }, { cause: err });
    }
    throw err;
  }
  return { bySeq, rejects, rows };
}
