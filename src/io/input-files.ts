import { readdirSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError, optionError } from '../errors.js';
import { COMPRESSION_EXTENSIONS } from './compression.js';
import { formatOfName, INPUT_FORMAT_NAMES, INPUT_FORMATS, type InputFormat } from './input-formats.js';
import { InputErrorCode, unreadable } from './read-errors.js';

/**
 * A folder or a glob as the input of one job: its files, in byte-wise order of their
 * names, read one after another as one input (seq runs on across files). Listed once,
 * with sizes, when the job starts: the job's fingerprint records the list, so `--resume`
 * on another set of files is refused.
 */
export interface InputFile {
  /** The path to open: the folder (as given) joined with `name`. */
  readonly path: string;
  /** The file's name in its folder: what the manifest and messages show. */
  readonly name: string;
  readonly bytes: number;
}

export interface InputSet {
  /** The input as given (`data/`, `data/*.jsonl`). */
  readonly input: string;
  /** The folder the files are in, absolute. */
  readonly dir: string;
  readonly files: readonly InputFile[];
  /** The files' sizes, summed (compressed sizes for compressed files). */
  readonly bytes: number;
  /** The format of every file: `--format`, or the one their extensions agree on. */
  readonly format: InputFormat;
}

const WILDCARD = /[*?]/;

/**
 * Whether `input` names several files: a folder, or a pattern with `*` or `?` that is not
 * itself an existing file. Never throws; {@link expandInput} says what is wrong.
 */
export function isMultiInput(input: unknown): input is string {
  if (typeof input !== 'string' || input === '' || input === '-') return false;
  const st = statSync(input, { throwIfNoEntry: false });
  return st ? st.isDirectory() : WILDCARD.test(input);
}

/**
 * The files of a folder or glob input, or null when `input` is one file (or stdin). A
 * folder gives its files with a known input extension (`.csv`, `.tsv`, `.jsonl`,
 * `.ndjson`, `.txt`, each also compressed: `.csv.gz`); a glob (`*` and `?`, in the last
 * part of the path only) gives the files it matches. Hidden files and subfolders are not
 * read. Throws `ALB_INPUT_NO_FILES` when nothing is found, `ALB_INPUT_FORMAT_MIXED` when
 * the extensions disagree and no `format` is given.
 *
 * @example
 * ```ts
 * expandInput('data/', null);        // { dir: '/…/data', files: [{ name: 'a.jsonl', … }, { name: 'b.jsonl.gz', … }], format: 'jsonl', … }
 * expandInput('data/*.csv', null);   // the CSV files of data/
 * expandInput('docs.csv', null);     // null: one file
 * ```
 */
export function expandInput(input: string, format: InputFormat | null): InputSet | null {
  if (!isMultiInput(input)) return null;
  const name = JSON.stringify(input);
  const folder = statSync(input, { throwIfNoEntry: false })?.isDirectory() === true;
  const dir = folder ? input : dirname(input);
  const pattern = folder ? null : basename(input);
  if (!folder && WILDCARD.test(dir)) {
    throw optionError('input', input, 'a file, a folder, or a pattern with * and ? in its last part only (like data/*.jsonl)');
  }
  const looked = pattern === null ? `looked for ${knownPatterns()}` : `looked for files matching ${JSON.stringify(pattern)}`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw noFiles(name, `folder ${JSON.stringify(dir)} does not exist`);
    throw unreadable(name, err);
  }
  const match = pattern === null ? (n: string) => formatOfName(n) !== undefined : globMatcher(pattern);
  const files: InputFile[] = [];
  for (const n of names.filter((n) => !n.startsWith('.') || pattern?.startsWith('.')).filter(match).sort(byteOrder)) {
    const path = join(dir, n);
    let st: Stats;
    try {
      st = statSync(path);
    } catch (err) {
      throw unreadable(JSON.stringify(path), err);
    }
    if (st.isFile()) files.push({ path, name: n, bytes: st.size });
  }
  if (files.length === 0) throw noFiles(name, looked);
  return Object.freeze({ input, dir: resolve(dir), files: Object.freeze(files), bytes: files.reduce((a, f) => a + f.bytes, 0), format: formatOfSet(name, files, format) });
}

/** The one format of the set's files: given, or the one all their extensions name. */
function formatOfSet(name: string, files: readonly InputFile[], format: InputFormat | null): InputFormat {
  if (format !== null) return format;
  const formats = new Map<InputFormat, string>();
  for (const f of files) {
    const of = formatOfName(f.name);
    if (of === undefined) {
      throw new InputError(InputErrorCode.FORMAT_UNKNOWN, `input ${name}: the format of ${JSON.stringify(f.name)} cannot be inferred from its extension; pass --format (${INPUT_FORMAT_NAMES.join(', ')})`, { input: name, file: f.name, option: '--format' });
    }
    if (!formats.has(of)) formats.set(of, f.name);
  }
  if (formats.size > 1) {
    const seen = [...formats].map(([f, file]) => `${JSON.stringify(file)} is ${f}`).join(', ');
    const [one] = formats.keys();
    const example = JSON.stringify(join(dirname(files[0].path), `*${INPUT_FORMATS[one].extensions[0]}`));
    throw new InputError(InputErrorCode.FORMAT_MIXED, `input ${name} holds files of more than one format (${seen}); a job reads one format: pass --format, or a glob of one kind (like ${example})`, {
      input: name,
      option: '--format',
      formats: [...formats.keys()],
    });
  }
  return formats.keys().next().value as InputFormat;
}

function noFiles(name: string, why: string): InputError {
  return new InputError(InputErrorCode.NO_FILES, `input ${name}: no input files (${why})`, { input: name });
}

function knownPatterns(): string {
  const exts = INPUT_FORMAT_NAMES.flatMap((f) => INPUT_FORMATS[f].extensions).map((e) => `*${e}`);
  return `${exts.join(', ')} and ${COMPRESSION_EXTENSIONS.join(', ')} of them; hidden files and subfolders are not read`;
}

/** `*` is any run of characters, `?` one; everything else is itself. Names have no `/`. */
function globMatcher(pattern: string): (name: string) => boolean {
  const source = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  const re = new RegExp(`^${source}$`, 'su');
  return (name) => re.test(name);
}

/** Byte-wise order of the UTF-8 names: the same on every machine and locale. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * How two listings of a job's files differ, in words, or null when they are the same
 * (names and sizes): what `--resume` says when the files changed under it.
 *
 * @example
 * ```ts
 * filesDifference([{ name: 'a.jsonl', bytes: 10 }], [{ name: 'a.jsonl', bytes: 12 }, { name: 'b.jsonl', bytes: 5 }]);
 * // '"a.jsonl" was 10 bytes, is 12; "b.jsonl" is new'
 * ```
 */
export function filesDifference(was: readonly { name: string; bytes: number }[], now: readonly { name: string; bytes: number }[]): string | null {
  const before = new Map(was.map((f) => [f.name, f.bytes]));
  const after = new Map(now.map((f) => [f.name, f.bytes]));
  const said: string[] = [];
  for (const [n, b] of before) {
    const a = after.get(n);
    if (a === undefined) said.push(`${JSON.stringify(n)} is gone`);
    else if (a !== b) said.push(`${JSON.stringify(n)} was ${b} bytes, is ${a}`);
  }
  for (const n of after.keys()) if (!before.has(n)) said.push(`${JSON.stringify(n)} is new`);
  if (said.length === 0 && was.map((f) => f.name).join('\0') !== now.map((f) => f.name).join('\0')) said.push('the files are in another order');
  if (said.length === 0) return null;
  return said.length > 5 ? `${said.slice(0, 5).join('; ')}; and ${said.length - 5} more` : said.join('; ');
}
