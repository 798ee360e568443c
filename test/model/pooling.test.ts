import { describe, expect, it } from 'vitest';
import { l2NormalizeRows, poolHidden } from '../../src/model/pooling.js';
import { softmaxRows, topK } from '../../src/model/activations.js';
import { reference, referenceArray } from '../helpers/reference.js';

describe('poolHidden', () => {
  it('mean-pools the reference last_hidden_state under its attention mask', () => {
    const { data: hidden, shape } = referenceArray('last_hidden_state');
    const { data: mask } = referenceArray('attention_mask');
    const [B, S, H] = shape;
    const lengths = Int32Array.from({ length: B }, (_, b) => {
      let n = 0;
      for (let t = 0; t < S; t++) n += Number((mask as BigInt64Array)[b * S + t]);
      return n;
    });
    const pooled = poolHidden(hidden as Float32Array, lengths, { B, S, H }, 'mean');
    for (const b of [0, 12, 19]) {
      for (const h of [0, 31, 63]) {
        let sum = 0;
        for (let t = 0; t < S; t++) sum += Number((mask as BigInt64Array)[b * S + t]) * (hidden as Float32Array)[(b * S + t) * H + h];
        expect(pooled[b * H + h]).toBeCloseTo(sum / lengths[b], 6);
      }
    }
    expect(lengths[12]).toBe(reference.ids_unpadded[12].length);
  });

  it('cls takes position 0; max ignores padding', () => {
    const hidden = Float32Array.of(1, 2, 5, -1, 9, 9, /* row 2 */ 0, 0, -3, 4, 0, 0);
    const lengths = Int32Array.of(2, 2);
    expect([...poolHidden(hidden, lengths, { B: 2, S: 3, H: 2 }, 'cls')]).toEqual([1, 2, 0, 0]);
    expect([...poolHidden(hidden, lengths, { B: 2, S: 3, H: 2 }, 'max')]).toEqual([5, 2, 0, 4]);
  });

  it('l2-normalizes rows and leaves zero rows at zero', () => {
    const v = l2NormalizeRows(Float32Array.of(3, 4, 0, 0), 2);
    [0.6, 0.8, 0, 0].forEach((x, i) => expect(v[i]).toBeCloseTo(x, 6));
  });
});

describe('activations', () => {
  it('softmax rows sum to 1 and survive large logits', () => {
    const p = softmaxRows(Float32Array.of(1000, 1001, 1002, 0, 0, 0), 3);
    expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 6);
    expect(p[2]).toBeCloseTo(0.66524, 4);
    expect(p[3]).toBeCloseTo(1 / 3, 6);
  });

  it('topK returns indices of the largest values, largest first', () => {
    expect(topK([0.1, 0.5, 0.2, 0.9, 0.5], 0, 5, 3)).toEqual([3, 1, 4]);
    expect(topK([3, 1], 0, 2, 5)).toEqual([0, 1]);
  });
});
