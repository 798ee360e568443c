/**
 * The official ALBERT shapes build into graphs that run, and whose initializers hold
 * exactly the published parameter count. xlarge and xxlarge take ~5 GB and ~30 s;
 * they run when ALBERT_TEST_BIG=1.
 */
import ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { OFFICIAL_ALBERT_CONFIGS, parseAlbertConfig, type OfficialAlbertName } from '../../src/model/albert-config.js';
import { buildAlbertGraph } from '../../src/convert/albert-graph.js';
import { loadAlbertWeights, type TensorSource } from '../../src/convert/albert-weights.js';
import { encodeOnnxModel } from '../../src/model/onnx-proto.js';
import { countAlbertParameters, countOnnxParameters } from '../../src/convert/param-count.js';
import { randomAlbertWeights, type RandomAlbertSpec } from '../helpers/random-albert.js';

const big = process.env.ALBERT_TEST_BIG === '1';

const names = Object.keys(OFFICIAL_ALBERT_CONFIGS) as OfficialAlbertName[];

describe('official ALBERT sizes', () => {
  test.each(names.filter((n) => !/xlarge/.test(n)))('%s builds, runs, and stores its parameters once', check);
});

describe.skipIf(!big)('official ALBERT sizes, xlarge and xxlarge (ALBERT_TEST_BIG=1)', () => {
  test.each(names.filter((n) => /xlarge/.test(n)))('%s builds, runs, and stores its parameters once', check, 300_000);
});

async function check(name: OfficialAlbertName): Promise<void> {
  const raw = OFFICIAL_ALBERT_CONFIGS[name] as RandomAlbertSpec['config'];
  const config = parseAlbertConfig(raw, name);
  const weights = randomAlbertWeights({ config: raw, prefix: 'albert.', pooler: true, mlm: 'tied', seed: 11, std: 0.02 });
  const src: TensorSource = {
    source: name,
    names: () => [...weights.keys()],
    has: (k) => weights.has(k),
    shape: (k) => weights.get(k)!.shape,
    read: (k) => weights.get(k)!.data,
  };
  const model = buildAlbertGraph(config, loadAlbertWeights(src, config, 'mlm'), { task: 'mlm' });
  const mlmCount = countAlbertParameters(config, { mlm: true }).total;
  expect(countOnnxParameters(model)).toBe(mlmCount);

  const base = buildAlbertGraph(config, loadAlbertWeights(src, config, 'base'), { task: 'base' });
  expect(countOnnxParameters(base)).toBe(countAlbertParameters(config, { pooler: true }).total);
  const session = await ort.InferenceSession.create(encodeOnnxModel(base));
  const ids = new BigInt64Array([2n, 50n, 29_999n, 3n]);
  const out = await session.run({
    input_ids: new ort.Tensor('int64', ids, [1, 4]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(4).fill(1n), [1, 4]),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(4), [1, 4]),
  });
  expect(out.last_hidden_state.dims).toEqual([1, 4, config.hiddenSize]);
  expect(out.pooler_output.dims).toEqual([1, config.hiddenSize]);
  expect((out.last_hidden_state.data as Float32Array).every(Number.isFinite)).toBe(true);
}
