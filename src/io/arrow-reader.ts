import type { FileHandle } from 'node:fs/promises';
import { DataType, Message, RecordBatchReader, type AsyncRecordBatchFileReader, type Field } from 'apache-arrow';
import { InputError } from '../errors.js';
import { fileOf, type ColumnarFile, type ColumnInfo, type ColumnarUnit } from './columnar-file.js';
import type { InputBytes } from './input-bytes.js';
import { InputErrorCode } from './read-errors.js';

/**
 * An Arrow IPC *file* input (`.arrow`, `.feather` v2), read with apache-arrow: the footer
 * once, then one record batch at a time by its block. Its units are the record batches;
 * their bytes are their blocks (message and body). The IPC *stream* format has no footer
 * to seek by and is not read here.
 *
 * @example
 * ```ts
 * const file = await openArrowFile(await openFileInput('docs.arrow'));
 * ```
 */
export async function openArrowFile(bytes: InputBytes): Promise<ColumnarFile> {
  const fh = fileOf(bytes, 'Arrow');
  let reader: AsyncRecordBatchFileReader;
  const units: ColumnarUnit[] = [];
  let firstRow = 0;
  let columns: ColumnInfo[];
  // Everything read from the file's own bytes is in here: a damaged footer or message is
  // ALB_INPUT_UNREADABLE naming the file, not a stray RangeError.
  try {
    const r = await RecordBatchReader.from(fh);
    await r.open({ autoDestroy: false });
    if (!r.isFile()) throw new Error('it is not an Arrow IPC file (an IPC stream has no footer to read by batch)');
    reader = r as AsyncRecordBatchFileReader;
    // The footer gives each batch's block but not its row count: that is in the batch's
    // message header, read here (bodies are read only when the rows are).
    for (let i = 0; i < reader.numRecordBatches; i++) {
      const block = reader.footer!.getRecordBatch(i)!;
      const rows = await batchRows(fh, Number(block.offset), block.metaDataLength, bytes.size ?? null);
      units.push({ firstRow, rows, byteStart: Number(block.offset), byteEnd: Number(block.offset) + block.metaDataLength + Number(block.bodyLength) });
      firstRow += rows;
    }
    columns = reader.schema.fields.map((f: Field): ColumnInfo => ({ name: f.name, ...kindOf(f.type) }));
  } catch (err) {
    throw new InputError(InputErrorCode.UNREADABLE, `cannot read input ${bytes.name} as an Arrow IPC file: ${(err as Error).message}`, { input: bytes.name }, { cause: err });
  }
  return {
    units,
    rows: firstRow,
    columns,
    async read(index, from, to, names) {
      const batch = (await reader.readRecordBatch(index))!;
      const first = units[index].firstRow;
      return names.map((n) => {
        const v = batch.getChild(n)!;
        const out: unknown[] = new Array(to - from);
        for (let r = from; r < to; r++) out[r - from] = v.get(r - first) ?? null;
        return out;
      });
    },
  };
}

/** Rows of the record batch whose message is at `offset`, from its header alone (errors are the caller's to word). */
async function batchRows(fh: FileHandle, offset: number, metaDataLength: number, fileSize: number | null): Promise<number> {
  if (metaDataLength < 8 || (fileSize !== null && offset + metaDataLength > fileSize)) {
    throw new Error(`its footer gives a record batch ${metaDataLength} bytes of header at byte ${offset}, outside the file`);
  }
  const buf = Buffer.alloc(metaDataLength);
  const { bytesRead } = await fh.read(buf, 0, metaDataLength, offset);
  if (bytesRead !== metaDataLength) throw new Error(`the record batch header at byte ${offset} is cut short`);
  // An encapsulated message: 0xFFFFFFFF and its length (before format 0.15: the length alone), then the flatbuffer.
  const at = buf.readInt32LE(0) === -1 ? 8 : 4;
  const length = buf.readInt32LE(at - 4);
  if (length <= 0 || at + length > metaDataLength) throw new Error(`the record batch header at byte ${offset} is damaged (length ${length})`);
  const message = Message.decode(buf.subarray(at, at + length));
  if (!message.isRecordBatch()) throw new Error(`its footer points at a message that is not a record batch (byte ${offset})`);
  return message.header().length;
}

function kindOf(type: DataType): Pick<ColumnInfo, 'kind' | 'type'> {
  const t = DataType.isDictionary(type) ? type.dictionary : type;
  if (DataType.isUtf8(t) || DataType.isLargeUtf8(t) || DataType.isUtf8View(t)) return { kind: 'string', type: String(type) };
  if (DataType.isInt(t)) return { kind: 'integer', type: String(type) };
  return { kind: 'other', type: String(type) };
}
