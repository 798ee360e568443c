import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { bundledModel } from '../pipeline/load-model.js';
import { probeDevices, type DeviceReport } from '../workers/device-probe.js';

/** `albert doctor`: what runs here, and if CUDA does not, exactly what is missing. */
export function doctorCommand(): Command {
  return new Command('doctor')
    .description('print Node, onnxruntime-node, execution providers, whether the CUDA provider and its libraries load, and the GPUs')
    .option('--json', 'print the report as JSON on stdout')
    .option('-m, --model <dir>', 'model folder to try the CUDA provider with (default: bundled albert-mini)')
    .action(async (o: { json?: boolean; model?: string }) => {
      const report = await probeDevices(`${o.model ?? bundledModel('albert-mini')}/model.onnx`, availableParallelism());
      if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(formatReport(report));
    });
}

export function formatReport(r: DeviceReport): string {
  const lines = [
    `node              ${r.node} (${r.platform}, ${r.cpus} CPUs)`,
    `onnxruntime-node  ${r.onnxruntimeNode}`,
    `backends          ${r.backends.map((b) => `${b.name}${b.bundled ? '' : ' (separate install)'}`).join(', ')}`,
  ];
  const ready: string[] = [];
  for (const [name, p] of Object.entries(r.providers)) {
    lines.push(
      `${`${p.label} provider lib`.padEnd(18)}${p.providerLibrary.found ?? `missing (${p.providerLibrary.name} is not installed next to the onnxruntime-node binding)`}`,
      ...p.libraries.map((l) => `  ${l.name.padEnd(18)}${l.found ?? 'not found'}`),
      `${`${p.label} session`.padEnd(18)}${p.sessionOk ? `OK: --device ${name} will work` : `FAILED: ${p.error}`}`,
    );
    if (p.sessionOk) ready.push(name);
  }
  lines.push(
    `GPUs              ${r.gpus.length > 0 ? r.gpus.join('; ') : 'none visible'}`,
    `verdict           ${ready.length > 0 ? `ready for --device ${ready.join(', ')}` : 'CPU only: use --device cpu (default), or --device auto to fall back automatically'}`,
  );
  return `${lines.join('\n')}\n`;
}
