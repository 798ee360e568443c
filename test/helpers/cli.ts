import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, Vector, type Table } from 'apache-arrow';
import { TINY } from './reference.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `albert` CLI as a user would (npm test builds first). */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string | Buffer; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

export function tempDir(prefix = 'albert-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A complete model folder for one of the tiny HF fixtures: its config and ONNX plus the
 * shared tokenizer files (the fixture keeps them in one place).
 */
export function tinyModel(name: 'albert-tiny' | 'albert-tiny-cls' | 'albert-tiny-mlm' | 'albert-tiny-pretraining', opts: { spieceOnly?: boolean } = {}): string {
  const dir = join(tempDir('albert-model-'), name);
  mkdirSync(dir);
  for (const f of ['config.json', 'model.onnx']) copyFileSync(join(TINY, name, f), join(dir, f));
  const tokFiles = opts.spieceOnly ? ['spiece.model', 'tokenizer_config.json'] : ['tokenizer.json', 'spiece.model', 'tokenizer_config.json'];
  for (const f of tokFiles) copyFileSync(join(TINY, 'tokenizer', f), join(dir, f));
  return dir;
}

/** All committed parts of an output directory, in order, as one table. */
export function readOutput(out: string): Table {
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { parts: { file: string }[] };
  const tables = manifest.parts.map((p) => tableFromIPC(readFileSync(join(out, p.file))));
  return tables.reduce((a, b) => a.concat(b));
}

/** A job's rows as comparable values: ids and embeddings of all parts, in order, whatever the part boundaries. */
export function outputRows(out: string): { ids: string[]; embedding: Buffer } {
  const t = readOutput(out);
  const ids = t.getChild('id')!.toArray() as string[];
  const col = t.getChild('embedding')!;
  const chunks = col.data.map((d) => {
    const values = d.children[0].values as Float32Array;
    return Buffer.from(values.buffer, values.byteOffset + d.offset * d.type.listSize * 4, d.length * d.type.listSize * 4);
  });
  return { ids, embedding: Buffer.concat(chunks) };
}

export function readManifestJson(out: string): Record<string, any> {
  return JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
}

export function readRejects(out: string): Array<Record<string, any>> {
  const file = join(out, 'rejects.jsonl');
  if (!readdirSync(out).includes('rejects.jsonl')) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The rows of `columns` of a table as plain JS (lists as arrays, structs as objects,
 * 64-bit integers as numbers): what a SQL client such as DuckDB returns for the same rows.
 */
export function plainRows(table: Table, columns: readonly string[]): unknown[][] {
  const cols = columns.map((c) => table.getChild(c)!);
  return Array.from({ length: table.numRows }, (_, i) => cols.map((c) => plainValue(c.get(i))));
}

function plainValue(v: unknown): unknown {
  if (v instanceof Vector) return [...v].map(plainValue);
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    return Object.fromEntries(Object.entries((v as { toJSON(): object }).toJSON()).map(([k, x]) => [k, plainValue(x)]));
  }
  return v;
}

/** Rows of a vector column (FixedSizeList<Float32>) as Float32Arrays. */
export function vectors(table: Table, column: string): Float32Array[] {
  const col = table.getChild(column)!;
  const out: Float32Array[] = [];
  for (let i = 0; i < col.length; i++) out.push(Float32Array.from(col.get(i) as Iterable<number>));
  return out;
}

/**
 * A CSV of `n` real paragraphs (the bundled sample, cycled with fresh ids `<prefix>-<i>`);
 * rows where `empty(i)` holds get an empty text, so runs have rejects to account for.
 */
export function writeCorpus(file: string, n: number, prefix: string, empty: (i: number) => boolean = () => false, stride = 1): void {
  const sample = readFileSync(join(ROOT, 'data', 'sample.csv'), 'utf8');
  const texts = [...sample.matchAll(/^doc-\d+,("(?:[^"]|"")*"|[^\n]*),/gm)].map((m) => m[1]);
  const rows = ['id,text'];
  for (let i = 0; i < n; i++) rows.push(`${prefix}-${i},${empty(i) ? '' : texts[(i * stride) % texts.length]}`);
  writeFileSync(file, rows.join('\n') + '\n');
}
