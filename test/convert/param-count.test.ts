import { describe, expect, test } from 'vitest';
import { OFFICIAL_ALBERT_CONFIGS, parseAlbertConfig, type OfficialAlbertName } from '../../src/model/albert-config.js';
import { countAlbertParameters } from '../../src/convert/param-count.js';

// HF `AlbertModel.from_pretrained(name).num_parameters()`. The ALBERT paper's table rounds
// these to 12M / 18M / 60M and lists 235M for xxlarge, which HF's (and our) count puts at 223M.
const HF_COUNTS: Record<string, number> = {
  base: 11_683_584, large: 17_683_968, xlarge: 58_724_864, xxlarge: 222_595_584,
};
const PAPER_MILLIONS: Record<string, number> = { base: 12, large: 18, xlarge: 60, xxlarge: 235 };

describe('countAlbertParameters on the official configs', () => {
  test.each(Object.keys(OFFICIAL_ALBERT_CONFIGS) as OfficialAlbertName[])('%s', (name) => {
    const size = name.split('-')[1];
    const config = parseAlbertConfig(OFFICIAL_ALBERT_CONFIGS[name], name);
    const count = countAlbertParameters(config, { pooler: true });
    expect(count.total).toBe(HF_COUNTS[size]);
    expect(Math.abs(count.total / 1e6 - PAPER_MILLIONS[size]) / PAPER_MILLIONS[size]).toBeLessThan(size === 'xxlarge' ? 0.06 : 0.03);
    // Sharing: 12 or 24 layers cost one layer's parameters.
    const oneLayerMore = countAlbertParameters({ ...config, numHiddenLayers: config.numHiddenLayers * 2 }, { pooler: true });
    expect(oneLayerMore.total).toBe(count.total);
  });

  test('heads add their parameters; the tied decoder adds only its bias', () => {
    const config = parseAlbertConfig(OFFICIAL_ALBERT_CONFIGS['albert-base-v2']);
    const encoder = countAlbertParameters(config, {}).total;
    const H = 768, E = 128, V = 30000;
    expect(countAlbertParameters(config, { mlm: true }).total - encoder).toBe(H * E + E + 2 * E + V);
    expect(countAlbertParameters(config, { mlm: true, untiedDecoder: true }).total - encoder).toBe(H * E + E + 2 * E + V + V * E);
    expect(countAlbertParameters(config, { pooler: true, sopLabels: 2 }).total - encoder).toBe(H * H + H + 2 * H + 2);
    expect(countAlbertParameters(config, { pooler: true, classifierLabels: 5 }).mlmHead).toBe(0);
  });

  test('groups and inner layers multiply the shared layer', () => {
    const config = parseAlbertConfig({ ...OFFICIAL_ALBERT_CONFIGS['albert-base-v2'], num_hidden_groups: 2, inner_group_num: 3 });
    const one = countAlbertParameters(parseAlbertConfig(OFFICIAL_ALBERT_CONFIGS['albert-base-v2']), {});
    const layer = one.encoder - (128 * 768 + 768);
    expect(countAlbertParameters(config, {}).encoder).toBe(128 * 768 + 768 + 6 * layer);
  });
});
