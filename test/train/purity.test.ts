import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT } from '../helpers/cli.js';

// src/train is pure math (and SVG text): no filesystem, no ONNX Runtime, no pipeline. The I/O
// of training and evaluating lives in src/pipeline (train-head.ts, evaluate-model.ts).
test('src/train imports nothing that does I/O', () => {
  const dir = join(ROOT, 'src', 'train');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const imports = [...readFileSync(join(dir, f), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    for (const spec of imports) {
      expect(spec, `${f} imports ${spec}`).not.toMatch(/^node:|onnxruntime|^\.\.\/(io|pipeline|workers|cli|queue|shards)\//);
    }
  }
});
