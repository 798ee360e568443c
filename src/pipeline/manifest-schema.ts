import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
// ajv is CommonJS: under NodeNext its default export is the module object, not the class,
// while the named `Ajv` export resolves the same in tsc and in node. It is loaded on first
// use (42 ms here): most commands never read a manifest, and every command imports this.
import type { ErrorObject, SchemaObject, ValidateFunction } from 'ajv';
import type * as AjvModule from 'ajv';
import { AlbertError, OutputError, describe } from '../errors.js';
import { packageInfo } from '../io/package-root.js';
import type { Manifest } from './manifest.js';

/** Where the schema lives in the package; it is also the documentation of the format. */
export const MANIFEST_SCHEMA_FILE = 'schema/manifest.schema.json';

const HINT = 'the job in this folder cannot be resumed (use --overwrite to start over)';
// Kept here rather than imported from manifest.ts: that module imports this one.
const FORMAT = 'albert-pipeline/manifest@2';
const FORMAT_VERSION = 2;

/** Plain words for the schema's patterns, by the definition that holds them. */
const PATTERN_WORDS: Record<string, string> = {
  sha256: 'a sha256 (64 lowercase hex digits)',
  relativeFile: 'a file name relative to --out (no leading "/", no ".." segment, no backslash)',
};

let compiled: ValidateFunction | null = null;

/** Compiled on first use: most commands never read a manifest, and compiling costs milliseconds. */
function validator(): ValidateFunction {
  if (compiled) return compiled;
  const file = join(packageInfo().root, MANIFEST_SCHEMA_FILE);
  let schema: SchemaObject;
  try {
    schema = JSON.parse(readFileSync(file, 'utf8')) as SchemaObject;
  } catch (err) {
    throw new AlbertError('ALB_INTERNAL', `cannot read the manifest schema ${file}: ${(err as Error).message} (the package is incomplete)`, { file });
  }
  // verbose: errors carry the failing subschema and value, which the messages are made from.
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof AjvModule;
  const ajv = new Ajv({ allErrors: false, verbose: true, allowUnionTypes: true });
  return (compiled = ajv.compile(schema));
}

/**
 * Checks a parsed manifest.json against schema/manifest.schema.json, then the row
 * accounting the schema cannot express (parts contiguous, each part's rows all counted,
 * `next` and `rows_out` agreeing with the parts). A damaged or hand-edited manifest is
 * refused here, naming the field, rather than failing with a TypeError later.
 *
 * @throws OutputError ALB_MANIFEST_INVALID, with `details.field` a path like `parts[3].sha256`.
 * @example
 * ```ts
 * const m = validateManifest(JSON.parse(text), join(out, 'manifest.json'));
 * // manifest.json: parts[0].rows must be an integer >= 0, got -1; the job in this folder cannot be resumed (...)
 * ```
 */
export function validateManifest(value: unknown, file: string): Manifest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(file, '', `${file} is not a JSON object, got ${Array.isArray(value) ? 'an array' : describe(value)}`);
  }
  checkFormat(value as Record<string, unknown>, file);
  const validate = validator();
  if (!validate(value)) throw invalid(file, ...explain(validate.errors?.[0], value, file));
  const m = value as Manifest;
  checkAccounting(m, file);
  return m;
}

/** Before the schema: another version's manifest differs in many places, and only this says why. */
function checkFormat(value: Record<string, unknown>, file: string): void {
  const format = value.format;
  if (format === undefined || format === FORMAT) return;
  const version = typeof format === 'string' ? /^albert-pipeline\/manifest@(\d+)$/.exec(format)?.[1] : undefined;
  if (version !== undefined) {
    const which = Number(version) < FORMAT_VERSION ? 'an older' : 'a newer';
    throw invalid(file, 'format', `${file} was written by ${which} version of albert-pipeline (format ${format}; this version reads manifest@${FORMAT_VERSION})`);
  }
  throw invalid(file, 'format', `${file}: format must be ${JSON.stringify(FORMAT)}, got ${describe(format)}`);
}

/** The one ajv error, in words: `[field, message]`. */
function explain(err: ErrorObject | undefined, root: unknown, file: string): [string, string] {
  if (!err) return ['', `${file} does not match the manifest schema`];
  const at = pathOf(err.instancePath, root);
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required': {
      const field = joinField(at, String(params.missingProperty));
      return [field, `${file}: ${field} is missing`];
    }
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      return [joinField(at, name), `${file}: unknown field ${JSON.stringify(name)}${at ? ` in ${at}` : ''}`];
    }
    default: {
      const field = at || '(top level)';
      return [at, `${file}: ${field} must be ${expected(err)}, got ${describe(err.data)}`];
    }
  }
}

/** What the failing subschema wants, in words: "an integer >= 0 or null", "one of ...". */
function expected(err: ErrorObject): string {
  const schema = (err.parentSchema ?? {}) as SchemaObject;
  if (err.keyword === 'const') return JSON.stringify(schema.const);
  if (err.keyword === 'enum') return `one of ${(schema.enum as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  if (err.keyword === 'pattern') {
    const def = /\/definitions\/([^/]+)\/pattern$/.exec(err.schemaPath)?.[1];
    return (def && PATTERN_WORDS[def]) ?? `a string matching ${String(schema.pattern)}`;
  }
  const types = ([] as string[]).concat((schema.type as string | string[] | undefined) ?? []);
  if (types.length === 0) return err.message ?? 'valid';
  const min = typeof schema.minimum === 'number' ? ` >= ${schema.minimum}` : '';
  return types.map((t) => (t === 'null' ? 'null' : t === 'integer' || t === 'number' ? `${article(t)} ${t}${min}` : `${article(t)} ${t}`)).join(' or ');
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/**
 * `/parts/3/sha256` as `parts[3].sha256`. The value is walked alongside, so a digit key in
 * an object (a `counts` label) stays a key and only array positions become `[n]`.
 */
function pathOf(pointer: string, root: unknown): string {
  let path = '';
  let node = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path += `[${key}]`;
      node = node[Number(key)];
    } else {
      path = joinField(path, key);
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}

function joinField(path: string, key: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}

/** The row accounting resume relies on; a manifest that breaks it would redo or skip rows. */
function checkAccounting(m: Manifest, file: string): void {
  let rows = 0;
  m.parts.forEach((p, i) => {
    const at = `parts[${i}]`;
    if (i > 0 && p.seqStart !== m.parts[i - 1].seqEnd) {
      throw invalid(file, `${at}.seqStart`, `${file}: ${at}.seqStart must be ${m.parts[i - 1].seqEnd} (where parts[${i - 1}] ends), got ${p.seqStart}: the parts are out of order or one is missing`);
    }
    if (p.seqEnd < p.seqStart) {
      throw invalid(file, `${at}.seqEnd`, `${file}: ${at}.seqEnd must be >= its seqStart ${p.seqStart}, got ${p.seqEnd}`);
    }
    if (p.rows + p.rejected !== p.seqEnd - p.seqStart) {
      throw invalid(file, `${at}.rows`, `${file}: ${at}.rows ${p.rows} + rejected ${p.rejected} must equal seqEnd - seqStart = ${p.seqEnd - p.seqStart}`);
    }
    rows += p.rows;
  });
  const last = m.parts.at(-1);
  if (last && m.next.seq !== last.seqEnd) {
    throw invalid(file, 'next.seq', `${file}: next.seq must be ${last.seqEnd} (where the last part ends), got ${m.next.seq}`);
  }
  if (m.rows_out !== rows) {
    throw invalid(file, 'rows_out', `${file}: rows_out must be ${rows} (the sum of the parts' rows), got ${m.rows_out}`);
  }
}

function invalid(file: string, field: string, message: string): OutputError {
  return new OutputError('ALB_MANIFEST_INVALID', `${message}; ${HINT}`, { file, field });
}
