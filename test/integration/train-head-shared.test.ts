import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, test } from 'vitest';
import { evaluateModel, trainHead } from '../../dist/src/index.js';
import { permutation } from '../../src/train/random.js';
import { mulberry32 } from '../helpers/seeded-random.js';
import { cleanup, tempDir } from '../helpers/cli.js';
import { writeLabelledCsv, type LabelledRow } from '../helpers/labelled.js';

const SAMPLE = fileURLToPath(new URL('../../../shared/data/labelled-sample.csv', import.meta.url));
// A fixed split, so the figure is the same on every run: 400 rows to train on, 100 the tool never sees.
const SPLIT_SEED = 2024;
const dir = tempDir('albert-train-shared-');
afterAll(() => cleanup(dir));

describe.skipIf(!existsSync(SAMPLE))('train-head on ../shared/data/labelled-sample.csv (when present)', () => {
  test(`a logistic-regression head on albert-mini reaches >= 0.72 accuracy on 100 held-out rows (split seed ${SPLIT_SEED})`, async () => {
    const rows = parse(readFileSync(SAMPLE, 'utf8'), { columns: true }) as LabelledRow[];
    const order = permutation(rows.length, mulberry32(SPLIT_SEED));
    const held = new Set(Array.from(order.subarray(0, 100)));
    const train = writeLabelledCsv(join(dir, 'train.csv'), rows.filter((_, i) => !held.has(i)));
    const test = writeLabelledCsv(join(dir, 'test.csv'), rows.filter((_, i) => held.has(i)));
    const { report } = await trainHead({ input: train, out: join(dir, 'model'), quiet: true });
    expect(report.rows.used).toBe(400);
    const ev = await evaluateModel({ input: test, model: join(dir, 'model'), out: join(dir, 'eval'), quiet: true });
    const accuracy = (ev.metrics as { accuracy: number }).accuracy;
    console.log(`held-out accuracy ${accuracy} on ${ev.rows.evaluated} rows; CV accuracy ${report.cross_validation.chosen.accuracy.mean} ± ${report.cross_validation.chosen.accuracy.std}; L2 ${report.hyper_parameters.l2}`);
    expect(ev.rows.evaluated).toBe(100);
    expect(accuracy).toBeGreaterThanOrEqual(0.72);
  });
});
