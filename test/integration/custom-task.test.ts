import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Field, Float32, Schema, Utf8 } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Worker threads run compiled JavaScript, so the job runs from dist/ (npm test builds first).
import { arrowColumns, commonMetadata, runJob, type TaskDefinition } from '../../dist/src/index.js';
import { reference, referenceArray } from '../helpers/reference.js';
import { cleanup, readManifestJson, readOutput, tempDir, tinyModel } from '../helpers/cli.js';

/**
 * A task of a library user's own, defined here and touching no file of src/: its own name,
 * option, head module (post-processing in the worker) and columns. It writes the L2 norm of
 * each row's [CLS] hidden state, times --scale, checked against HF's last_hidden_state.
 */
let dir: string;
let input: string;
let model: string;
let clsNorm: TaskDefinition<{ scale: number }>;

beforeAll(() => {
  dir = tempDir();
  input = join(dir, 'texts.jsonl');
  writeFileSync(input, reference.texts.map((text, i) => JSON.stringify({ id: `t${i}`, text })).join('\n') + '\n');
  model = tinyModel('albert-tiny');
  const headFile = join(dir, 'cls-norm-head.mjs');
  writeFileSync(
    headFile,
    `export function postprocess(params, hidden, dims, batch) {
       const [, S, H] = dims;
       const norm = new Float32Array(batch.B);
       for (let b = 0; b < batch.B; b++) {
         let s = 0;
         for (let h = 0; h < H; h++) s += hidden[b * S * H + h] ** 2;
         norm[b] = Math.sqrt(s) * params.scale;
       }
       return { norm };
     }\n`,
  );
  const head = pathToFileURL(headFile).href;
  clsNorm = {
    name: 'cls-norm',
    description: 'the L2 norm of the [CLS] hidden state',
    example: '',
    defaultModel: 'albert-mini',
    requiresPairs: false,
    options: { scale: { flag: '--scale <x>', help: 'multiply the norm', parse: 'float' } },
    resolveOptions(o) {
      const scale = o.scale ?? 1;
      if (typeof scale !== 'number' || !(scale > 0)) throw new Error(`--scale: expected a positive number, got ${String(scale)}`);
      return { scale };
    },
    fingerprint: (o) => ({ scale: o.scale }),
    plan(ctx, o) {
      const schema = new Schema([new Field('id', new Utf8(), false), new Field('norm', new Float32(), false)], arrowColumns.schemaMetadata(commonMetadata(ctx, 'cls-norm', 'last_hidden_state')));
      return {
        head: { module: head, output: 'last_hidden_state', params: { scale: o.scale } },
        schema,
        build(rows) {
          const norm = Float32Array.from(rows, (r) => (r.response.columns.norm as Float32Array)[r.index]);
          return arrowColumns.recordBatch(schema, [arrowColumns.utf8Data(rows.map((r) => r.id)), arrowColumns.float32Data(norm)], rows.length);
        },
      };
    },
  };
});
afterAll(() => cleanup(dir));

describe('a task defined outside src/', () => {
  it('runs through the whole pipeline: its option, its head in the worker, its columns, its fingerprint', async () => {
    const out = join(dir, 'out');
    const summary = await runJob(clsNorm, { input, out, model, scale: 2, maxLength: reference.max_length, keepEmpty: true, quiet: true });
    expect(summary).toMatchObject({ task: 'cls-norm', rows_in: 24, rows_out: 24 });
    const m = readManifestJson(out);
    expect(m.fingerprint).toMatchObject({ task: 'cls-norm', scale: 2 });
    const t = readOutput(out);
    expect(t.schema.metadata.get('albert.task')).toBe('cls-norm');
    const { data: hidden, shape } = referenceArray('last_hidden_state');
    const [, S, H] = shape;
    const norms = t.getChild('norm')!.toArray() as Float32Array;
    let worst = 0;
    for (let b = 0; b < 24; b++) {
      let s = 0;
      for (let h = 0; h < H; h++) s += (hidden as Float32Array)[b * S * H + h] ** 2;
      worst = Math.max(worst, Math.abs(norms[b] - 2 * Math.sqrt(s)) / (2 * Math.sqrt(s)));
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('its option keys are checked like any task\'s: a typo fails, naming the nearest', async () => {
    await expect(runJob(clsNorm, { input, out: join(dir, 'typo'), model, scael: 2, quiet: true })).rejects.toMatchObject({
      code: 'ALB_OPTION_UNKNOWN',
      message: expect.stringContaining('did you mean "scale"?'),
    });
  });

  it('a head module without postprocess fails the run before any input is read', async () => {
    const bad = join(dir, 'bad-head.mjs');
    writeFileSync(bad, 'export const nothing = 1;\n');
    const broken: TaskDefinition<{ scale: number }> = { ...clsNorm, plan: (ctx, o) => ({ ...clsNorm.plan(ctx, o), head: { module: pathToFileURL(bad).href, output: 'last_hidden_state', params: {} } }) };
    await expect(runJob(broken, { input, out: join(dir, 'bad'), model, quiet: true })).rejects.toMatchObject({ code: 'ALB_TASK_INVALID' });
  });
});
