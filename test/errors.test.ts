import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, fromPlainError, ModelError, toPlainError, WorkerError } from '../src/errors.js';
import { ROOT } from './helpers/cli.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Codes as string literals in src/, outside the list itself. */
function codesInSrc(): Set<string> {
  const found = new Set<string>();
  for (const file of sources(join(ROOT, 'src'))) {
    if (file.endsWith(join('src', 'errors.ts'))) continue;
    // Comments mention codes too; only quoted ones are thrown or stored.
    for (const [, code] of readFileSync(file, 'utf8').matchAll(/['"](ALB_[A-Z0-9_]+)['"]/g)) found.add(code);
  }
  return found;
}

/** The first column of the README's "Error codes" table. */
function codesInReadme(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Error codes'), readme.indexOf('\n## ', readme.indexOf('## Error codes') + 1));
  return [...section.matchAll(/^\| `(ALB_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
}

describe('error codes', () => {
  it('every code used in src/ is in ERROR_CODES, and every listed code is used', () => {
    const used = codesInSrc();
    expect([...used].filter((c) => !(ERROR_CODES as readonly string[]).includes(c))).toEqual([]);
    expect(ERROR_CODES.filter((c) => !used.has(c))).toEqual([]);
  });

  it('the README table has one line per code, no more, no less', () => {
    const table = codesInReadme();
    expect(new Set(table).size).toBe(table.length);
    expect([...table].sort()).toEqual([...ERROR_CODES].sort());
  });

  it('errors cross a worker boundary as plain objects and come back as the same class and code', () => {
    const original = new ModelError('ALB_MODEL_LOAD', 'cannot load', { file: 'm.onnx' });
    const back = fromPlainError(structuredClone(toPlainError(original)));
    expect(back).toBeInstanceOf(ModelError);
    expect(back).toMatchObject({ code: 'ALB_MODEL_LOAD', message: 'cannot load', details: { file: 'm.onnx' } });
  });

  it('a foreign error keeps its own code in details, never as ours', () => {
    const enoent = Object.assign(new Error('no such file'), { code: 'ENOENT' });
    const plain = toPlainError(enoent, 'ALB_WORKER_FAILED');
    expect(plain).toMatchObject({ code: 'ALB_WORKER_FAILED', details: { errno: 'ENOENT' } });
    const rebuilt = fromPlainError({ name: 'WorkerError', code: 'ERR_SOMETHING', message: 'x' });
    expect(rebuilt).toBeInstanceOf(WorkerError);
    expect(rebuilt).toMatchObject({ code: 'ALB_INTERNAL', details: { foreignCode: 'ERR_SOMETHING' } });
  });
});
