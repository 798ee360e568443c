import { describe, expect, test } from 'vitest';
import type { ModelFiles } from '../../src/io/model-files.js';
import { resolveTrainHeadOptions } from '../../src/pipeline/train-head-options.js';
import { headConfig, headMaxLength, trainingReport } from '../../src/pipeline/training-report.js';
import { fitHead } from '../../src/train/fit-head.js';
import { balancedPositiveWeights, balancedRowWeights, type Targets } from '../../src/train/losses.js';
import { mulberry32 } from '../../src/train/random.js';

const base: ModelFiles = {
  dir: '/models/base', name: 'base', config: { max_position_embeddings: 512 }, tokenizerJson: null, spieceModel: null,
  tokenizerConfig: {}, onnxPath: '/models/base/model.onnx', onnxSha256: '0'.repeat(64),
};

function report(targets: Targets, labels: string[], multiLabel: boolean, maxLength = 128) {
  const rand = mulberry32(7);
  const n = targets.kind === 'single' ? targets.y.length : targets.y.length / labels.length;
  const x = Float32Array.from({ length: n * 3 }, () => rand());
  const o = resolveTrainHeadOptions({ input: 'train.csv', out: 'model', multiLabel, balance: true, folds: 2, l2: 0.1, maxIterations: 20 });
  const fit = fitHead({ x, n, d: 3, targets, labels }, o.fit);
  const r = trainingReport({ o, base, names: labels, fit, targets, rowsRead: n, used: n, rejects: [], modelBytes: new Uint8Array(1), maxLength, timings: { labels: 0, embedding: 0, fit: 0, total: 0 } });
  return { r, o, fit };
}

describe('trainingReport', () => {
  test('--balance: the class weights are the ones the loss uses (losses.ts), a multi-label label without positives included', () => {
    // Label "none" has no positive row: the loss weighs it 1, and so must the report.
    const k = 3;
    const y = new Uint8Array(8 * k);
    for (let i = 0; i < 8; i++) { y[i * k] = i % 2; y[i * k + 1] = i < 2 ? 1 : 0; }
    const { r } = report({ kind: 'multi', y }, ['a', 'b', 'none'], true);
    const want = balancedPositiveWeights(y, 8, k);
    expect(r.classes.map((c) => c.weight)).toEqual([...want]);
    expect(r.classes[2]).toEqual({ label: 'none', rows: 0, weight: 1 });

    const ys = Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 2, 2]);
    const single = report({ kind: 'single', y: ys }, ['p', 'q', 'r'], false).r;
    const rows = balancedRowWeights(ys, 3);
    expect(single.classes.map((c) => c.weight)).toEqual([rows[0], rows[6], rows[8]].map((v) => Number(v.toFixed(6))));
  });

  test('records the max length the rows were embedded at, and why the final fit stopped', () => {
    const { r, o, fit } = report({ kind: 'single', y: Int32Array.from([0, 1, 0, 1, 0, 1]) }, ['p', 'q'], false, 64);
    expect(r.head.max_length).toBe(64);
    expect(r.final_stop_reason).toBe(fit.stopReason);
    const config = headConfig(base, ['p', 'q'], o, fit, 64) as { albert_pipeline_head: { max_length: number } };
    expect(config.albert_pipeline_head.max_length).toBe(64);
    expect(headMaxLength(config, 'config.json', 512)).toBe(64);
  });
});

describe('headMaxLength', () => {
  test('null for a folder that is not a trained head, or one that does not record it', () => {
    expect(headMaxLength({ max_position_embeddings: 512 }, 'config.json', 512)).toBeNull();
    expect(headMaxLength({ albert_pipeline_head: { pooling: 'mean' } }, 'config.json', 512)).toBeNull();
  });

  test('a value the model cannot take is ALB_MODEL_CONFIG_INVALID, naming the key and what it holds', () => {
    for (const bad of [1024, 1.5, '128', null]) {
      expect(() => headMaxLength({ albert_pipeline_head: { max_length: bad } }, 'm/config.json', 512))
        .toThrow(expect.objectContaining({ code: 'ALB_MODEL_CONFIG_INVALID', message: expect.stringMatching(/^m\/config\.json: albert_pipeline_head\.max_length .*got .*pass --max-length$/) }));
    }
  });
});
