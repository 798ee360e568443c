import { InputError } from '../errors.js';
import type { InputRanges, RangeChange } from '../io/input-ranges.js';
import type { Manifest, PartEntry } from './manifest.js';

/**
 * Proves, before --resume adds to a job, that the input still holds the bytes its
 * committed parts were made from: each part's range is hashed again and compared. A
 * changed byte anywhere before the resume point is ALB_RESUME_INPUT_CHANGED naming the
 * file and the range; bytes appended after it are new rows, as they should be.
 * `trust` (--trust-input) checks only that the input still reaches the resume point,
 * and says so.
 *
 * @example
 * ```ts
 * await checkCommittedInput(manifest, InputRanges.of('docs.csv', null), { trust: false, note: console.error });
 * ```
 */
export async function checkCommittedInput(m: Manifest, ranges: InputRanges | null, opts: { trust: boolean; note: (line: string) => void }): Promise<void> {
  const parts = m.parts.filter((p) => p.input !== null);
  if (parts.length === 0) return;
  if (!ranges) {
    opts.note('albert: --resume: the input is a stream, which cannot be read twice: the committed rows are taken on trust\n');
    return;
  }
  const last = parts[parts.length - 1].input!;
  if (opts.trust) {
    const end = await ranges.hash(Math.max(0, last.end - 1), last.end);
    if (typeof end !== 'string') throw changed(end, parts[parts.length - 1], last.end);
    opts.note(`albert: --trust-input: not re-reading the ${last.end} committed bytes of the input to check that they are unchanged\n`);
    return;
  }
  for (const p of parts) {
    const r = p.input!;
    const change = await ranges.check(r.start, r.end, r.sha256);
    if (change) throw changed(change, p, last.end);
  }
}

function changed(c: RangeChange, p: PartEntry, committedTo: number): InputError {
  const what =
    c.why === 'shorter'
      ? `it is now ${c.size} bytes, but the job committed rows read from bytes up to ${committedTo}`
      : `bytes ${c.start}-${c.end} (rows ${p.seqStart}-${p.seqEnd - 1}, committed in ${p.file}) are not the bytes the job read`;
  return new InputError(
    'ALB_RESUME_INPUT_CHANGED',
    `--resume: input ${JSON.stringify(c.file)} changed since the job committed its rows: ${what}; restore the input, or --overwrite to start over (rows appended at the end are fine)`,
    { option: '--resume', input: c.file, start: c.start, end: c.end, part: p.file },
  );
}
