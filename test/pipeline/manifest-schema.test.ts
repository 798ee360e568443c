import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputError } from '../../src/errors.js';
import { packageInfo } from '../../src/io/package-root.js';
import { MANIFEST_SCHEMA_FILE, validateManifest } from '../../src/pipeline/manifest-schema.js';

const hex = (c: string): string => c.repeat(64);

/** A manifest as a job writes it after two parts: 10 rows (1 rejected), then 5 rows. */
function validManifest(): Record<string, any> {
  const part = (i: number, seqStart: number, seqEnd: number, rejected: number) => ({
    file: `part-${String(i).padStart(5, '0')}.arrow`,
    seqStart,
    seqEnd,
    offsetStart: seqStart === 0 ? null : seqStart * 10,
    offsetEnd: seqEnd * 10,
    rows: seqEnd - seqStart - rejected,
    rejected,
    bytes: 1234,
    sha256: hex('a'),
    input: { start: seqStart * 10, end: seqEnd * 10, sha256: hex('b') },
    rejects: { file: 'rejects.jsonl', offset: 0, bytes: rejected ? 80 : 0, sha256: hex('c') },
  });
  return {
    format: 'albert-pipeline/manifest@2',
    tool: { name: 'albert-pipeline', version: '0.1.0' },
    task: 'embed',
    status: 'interrupted',
    fingerprint: { task: 'embed', pooling: 'mean' },
    model: { name: 'albert-base-v2', sha256: hex('d'), execution_provider: 'cpu', fallback_reason: null },
    input: { path: '/data/in.csv', bytes: 150 },
    parts: [part(0, 0, 10, 1), { ...part(1, 10, 15, 0), input: null }],
    next: { seq: 15, offset: 150 },
    rejects: { file: 'rejects.jsonl', bytes: 80, sha256: hex('e'), by_code: { ALB_ROW_EMPTY_TEXT: 1 } },
    rows_in: 15,
    rows_out: 14,
    rows_rejected: 1,
    tokens: 900,
    counts: {},
    elapsed_s: 1.5,
    docs_per_s: 9.33,
    tokens_per_s: 600,
    stages_ms: { readMs: 1, tokenizeMs: 2, queueMs: 0, inferMs: 1000, postMs: 3.5, writeMs: 4 },
    started_at: '2024-01-01T00:00:00.000Z',
    updated_at: '2024-01-01T00:00:01.500Z',
    rerun: { input: '/data/in.csv', options: { pooling: 'mean' } },
    checksum: hex('f'),
  };
}

function refusal(value: unknown): OutputError {
  try {
    validateManifest(value, 'manifest.json');
  } catch (err) {
    expect(err).toBeInstanceOf(OutputError);
    expect((err as OutputError).code).toBe('ALB_MANIFEST_INVALID');
    expect((err as OutputError).message).toContain('--overwrite');
    return err as OutputError;
  }
  throw new Error('expected validateManifest to refuse the manifest');
}

function damaged(edit: (m: Record<string, any>) => void): Record<string, any> {
  const m = validManifest();
  edit(m);
  return m;
}

describe('validateManifest', () => {
  it('accepts a manifest as a job writes it, and returns it', () => {
    const m = validManifest();
    expect(validateManifest(m, 'manifest.json')).toBe(m);
    expect(validateManifest({ ...m, parts: [], rows_out: 0, next: { seq: 0, offset: null }, rerun: null }, 'manifest.json')).toBeTruthy();
  });

  it('accepts a merged dataset (parts in shard folders, rejects files per shard)', () => {
    const m = damaged((x) => {
      x.parts[0].file = 'shards/s0000/part-00000.arrow';
      x.rejects.files = ['shards/s0000/rejects.jsonl'];
      x.input = { path: null, bytes: null, files: [{ name: 'a.csv', bytes: 150 }] };
    });
    expect(validateManifest(m, 'manifest.json')).toBe(m);
  });

  it('refuses a value that is not a JSON object', () => {
    expect(refusal(null).message).toMatch(/^manifest\.json is not a JSON object, got null/);
    expect(refusal([]).message).toContain('manifest.json is not a JSON object, got an array');
  });

  it('names a field of the wrong type', () => {
    const err = refusal(damaged((m) => (m.rejects = null)));
    expect(err.message).toContain('manifest.json: rejects must be an object, got null');
    expect(err.details.field).toBe('rejects');
  });

  it('names a missing field', () => {
    expect(refusal(damaged((m) => delete m.next)).message).toContain('next is missing');
    expect(refusal(damaged((m) => delete m.parts)).details.field).toBe('parts');
    expect(refusal(damaged((m) => delete m.parts[1].sha256)).message).toContain('parts[1].sha256 is missing');
  });

  it('names the first missing field of a bogus part', () => {
    const err = refusal(damaged((m) => (m.parts = [{ file: 'bogus' }])));
    expect(err.message).toContain('parts[0].seqStart is missing');
    expect(err.details.field).toBe('parts[0].seqStart');
  });

  it('refuses a negative count', () => {
    const err = refusal(damaged((m) => (m.parts[0].rows = -1)));
    expect(err.message).toContain('manifest.json: parts[0].rows must be an integer >= 0, got -1');
    expect(err.details.field).toBe('parts[0].rows');
  });

  it('refuses a bad sha256', () => {
    expect(refusal(damaged((m) => (m.parts[1].sha256 = hex('A')))).message).toContain('parts[1].sha256 must be a sha256');
  });

  it.each(['../x.arrow', '/etc/passwd', 'shards/../../x.arrow', '..', 'a\\..\\x'])('refuses a part file pointing outside --out: %s', (file) => {
    const err = refusal(damaged((m) => (m.parts[0].file = file)));
    expect(err.message).toContain('parts[0].file must be a file name relative to --out');
    expect(err.details.field).toBe('parts[0].file');
  });

  it('refuses an unknown field, naming it', () => {
    const err = refusal(damaged((m) => (m.partz = [])));
    expect(err.message).toContain('unknown field "partz"');
    expect(err.details.field).toBe('partz');
    const nested = refusal(damaged((m) => (m.parts[1].rowz = 1)));
    expect(nested.message).toContain('unknown field "rowz" in parts[1]');
    expect(nested.details.field).toBe('parts[1].rowz');
  });

  it('keeps open objects open, but checks their values', () => {
    expect(validateManifest(damaged((m) => (m.fingerprint.anything = { deep: [1] })), 'manifest.json')).toBeTruthy();
    expect(refusal(damaged((m) => (m.rejects.by_code.ALB_ROW_EMPTY_TEXT = 1.5))).message).toContain('rejects.by_code.ALB_ROW_EMPTY_TEXT must be an integer >= 0, got 1.5');
    expect(refusal(damaged((m) => (m.counts['3'] = 'x'))).details.field).toBe('counts["3"]');
  });

  it('says an older version wrote a manifest@1', () => {
    const err = refusal(damaged((m) => (m.format = 'albert-pipeline/manifest@1')));
    expect(err.message).toContain('written by an older version');
    expect(err.message).toContain('manifest@1');
    expect(err.message).toContain('use --overwrite to start over');
    expect(err.details.field).toBe('format');
  });

  it('refuses an enum value outside the list', () => {
    expect(refusal(damaged((m) => (m.status = 'done'))).message).toContain('status must be one of "running", "complete", "interrupted", "failed", got "done"');
  });

  it('refuses parts that are not contiguous', () => {
    const err = refusal(damaged((m) => {
      m.parts[1].seqStart = 11;
      m.parts[1].rows = 4;
      m.rows_out = 13;
    }));
    expect(err.message).toContain('parts[1].seqStart must be 10');
    expect(err.details.field).toBe('parts[1].seqStart');
  });

  it('refuses a part whose rows do not add up', () => {
    expect(refusal(damaged((m) => (m.parts[0].rejected = 0))).details.field).toBe('parts[0].rows');
    expect(refusal(damaged((m) => (m.parts[1].seqEnd = 9))).details.field).toBe('parts[1].seqEnd');
  });

  it('refuses next.seq and rows_out that disagree with the parts', () => {
    expect(refusal(damaged((m) => (m.next.seq = 20))).message).toContain('next.seq must be 15');
    const err = refusal(damaged((m) => (m.rows_out = 15)));
    expect(err.message).toContain('rows_out must be 14');
    expect(err.details.field).toBe('rows_out');
  });
});

describe('schema/manifest.schema.json', () => {
  const schema = JSON.parse(readFileSync(join(packageInfo().root, MANIFEST_SCHEMA_FILE), 'utf8')) as {
    $id?: string; title?: string; properties: Record<string, { description?: string }>; definitions: { part: { properties: Record<string, { description?: string }> } };
  };

  it('is JSON with an $id and a title', () => {
    expect(schema.$id).toMatch(/manifest\.schema\.json$/);
    expect(schema.title).toBeTruthy();
  });

  it('documents every property of the manifest and of a part', () => {
    const undocumented = [
      ...Object.entries(schema.properties).filter(([, p]) => !p.description).map(([k]) => k),
      ...Object.entries(schema.definitions.part.properties).filter(([, p]) => !p.description).map(([k]) => `parts[].${k}`),
    ];
    expect(undocumented).toEqual([]);
  });
});
