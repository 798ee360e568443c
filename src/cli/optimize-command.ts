import { Command, Option } from 'commander';
import { describeVariant } from '../convert/model-variant.js';
import { optimizeModel, type OptimizeOptions, type OptimizeResult } from '../convert/optimize-model.js';

interface OptimizeFlags {
  int8?: boolean; int8Weights?: 'int8-7bit' | 'uint8'; fp16?: boolean; fuse?: boolean; overwrite?: boolean; tokenizer?: string;
  check?: boolean; checkData?: string; checkRows?: string; labelled?: string; labelColumn?: string; checkDevice?: string; json?: boolean;
}

/**
 * `albert optimize <model-folder> [<out-folder>]`: an int8 / fp16 / fused variant of a
 * model folder, checked against it. The result goes to stdout (text, or JSON with --json),
 * progress to stderr.
 */
export function optimizeCommand(): Command {
  return new Command('optimize')
    .description('make an int8 (CPU), fp16 (GPU) and/or fused variant of a model folder, checked against the fp32 model on real rows')
    .argument('<model-folder>', 'an fp32 model folder: config.json, model.onnx (ours or a torch export), tokenizer')
    .argument('[out-folder]', 'where to write the variant (default: <model-folder>/variants/<name>, where --variant finds it)')
    .option('--int8', 'dynamic int8 quantization of the encoder\'s matrix products (for CPUs)')
    .addOption(new Option('--int8-weights <type>', 'int8 weight type: int8-7bit (fast on AVX2) or uint8 (zero point 128)').choices(['int8-7bit', 'uint8']))
    .option('--fp16', 'float16 weights and compute (for GPUs)')
    .option('--fuse', 'fused com.microsoft Attention, SkipLayerNormalization and FastGelu')
    .option('--tokenizer <folder>', 'take tokenizer.json / spiece.model from this folder (default: <model-folder>)')
    .option('--overwrite', 'replace an existing model.onnx in the out folder')
    .option('--no-check', 'skip the accuracy check (the variant is then never picked by --variant auto)')
    .option('--check-data <csv>', 'rows for the check: a CSV with a text column (default: the bundled data/sample.csv)')
    .option('--check-rows <n>', 'rows of --check-data to compare (default: 2000)')
    .option('--labelled <csv>', 'a CSV with text and gold labels: accuracy of a classifier and its variant')
    .option('--label-column <name>', 'the gold label column of --labelled (default: label)')
    .option('--check-device <device>', 'where the check runs: cpu (default), or cuda for an fp16 variant')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  albert optimize models/albert-mini --int8 --fuse            # → models/albert-mini/variants/int8-fused\n' +
      '  albert optimize models/albert-base out/albert-base-fp16 --fp16 --fuse --no-check\n')
    .action(async (inDir: string, outDir: string | undefined, f: OptimizeFlags) => {
      const options: OptimizeOptions = {
        int8: Boolean(f.int8), fp16: Boolean(f.fp16), fuse: Boolean(f.fuse), overwrite: Boolean(f.overwrite), check: f.check !== false,
        ...(f.int8Weights ? { int8Weights: f.int8Weights } : {}),
        ...(f.tokenizer ? { tokenizerDir: f.tokenizer } : {}),
        ...(f.checkData ? { checkData: f.checkData } : {}),
        ...(f.checkRows !== undefined ? { checkRows: Number(f.checkRows) } : {}),
        ...(f.labelled ? { labelled: f.labelled } : {}),
        ...(f.labelColumn ? { labelColumn: f.labelColumn } : {}),
        ...(f.checkDevice ? { checkDevice: f.checkDevice } : {}),
        onProgress: (m) => process.stderr.write(`albert optimize: ${m}\n`),
      };
      const r = await optimizeModel(inDir, outDir ?? null, options);
      for (const w of r.warnings) process.stderr.write(`albert optimize: warning: ${w}\n`);
      process.stdout.write(f.json ? `${JSON.stringify(r, null, 2)}\n` : formatOptimizeResult(r));
    });
}

export function formatOptimizeResult(r: OptimizeResult): string {
  const v = r.variant;
  const fused = v.fused_ops ? Object.entries(v.fused_ops).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') : '';
  return [
    `${r.outDir}: ${v.name} (${describeVariant(v)}), model.onnx ${(r.onnxBytes / 1e6).toFixed(1)} MB (fp32 ${(r.baseOnnxBytes / 1e6).toFixed(1)} MB)`,
    ...(fused ? [`  fused     ${fused}`] : []),
    ...(v.int8 ? [`  int8      ${v.int8.nodes} nodes, ${v.int8.weights} distinct weights quantized once each`] : []),
    `  accuracy  ${v.accuracy ? `${v.accuracy.summary} (${v.accuracy.report})` : 'not checked (--no-check): --variant auto will not pick it'}`,
    '',
  ].join('\n');
}
