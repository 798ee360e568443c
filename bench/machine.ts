/**
 * The dev bench's machine record: the shared one (src/bench/machine.ts) plus the
 * transformers.js install it compares against (bench/compare; null when not installed).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { machineInfo as baseMachineInfo, pkgVersion, type MachineInfo as BaseMachineInfo } from '../src/bench/machine.js';
import { compareDir } from './compare-install.js';

export { busyCpuSeconds, round, sampleQuiet, waitForQuiet, type QuietSample } from '../src/bench/machine.js';

export interface MachineInfo extends BaseMachineInfo {
  transformers_js: string | null;
  transformers_js_onnxruntime_node: string | null;
}

export function machineInfo(): MachineInfo {
  const tjsDir = join(compareDir(), 'node_modules/@huggingface/transformers');
  return {
    ...baseMachineInfo(),
    transformers_js: pkgVersion('@huggingface/transformers', compareDir()),
    transformers_js_onnxruntime_node: existsSync(tjsDir) ? pkgVersion('onnxruntime-node', tjsDir) : null,
  };
}
