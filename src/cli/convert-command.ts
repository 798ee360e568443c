import { Command, Option } from 'commander';
import { convertModel } from '../convert/convert-model.js';
import { ALBERT_TASKS, type AlbertTask } from '../convert/albert-weights.js';

/**
 * `albert convert <hf-folder> <out-folder>`: HF checkpoint → ONNX model folder.
 * The result summary goes to stdout (text, or JSON with --json), progress to stderr;
 * errors are thrown for main.ts to print as `albert: CODE: message`.
 */
export function convertCommand(): Command {
  return new Command('convert')
    .description('convert an HF ALBERT checkpoint (config.json + model.safetensors) into a model folder with model.onnx')
    .argument('<hf-folder>', 'folder with config.json, model.safetensors (or its shards), spiece.model and/or tokenizer.json')
    .argument('<out-folder>', 'folder to write config.json, model.onnx, tokenizer.json, spiece.model, tokenizer_config.json')
    .addOption(new Option('--task <task>', 'head to export (default: from config.json architectures)').choices([...ALBERT_TASKS]))
    .option('--fp16', 'float16 weights and matmuls; LayerNorm, softmax and I/O stay float32 (with --fuse: fused ops in float16)')
    .option('--fuse', 'emit fused com.microsoft Attention, SkipLayerNormalization and FastGelu')
    .option('--int8', 'dynamic int8 quantization of the encoder (for CPUs; `albert optimize` also checks it against fp32)')
    .addOption(new Option('--int8-weights <type>', 'int8 weight type: int8-7bit (fast on AVX2) or uint8').choices(['int8-7bit', 'uint8']))
    .option('--tokenizer <folder>', 'take tokenizer.json / spiece.model from this folder (default: <hf-folder>)')
    .option('--overwrite', 'replace an existing model.onnx in <out-folder>')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  albert convert hf/albert-base-v2 models/albert-base --task base\n  albert convert hf/albert-base-v2 models/albert-base-fp16 --fp16 --fuse     # for GPUs\n  albert convert hf/albert-base-v2 models/albert-base-int8 --int8 --fuse     # for CPUs\n')
    .action(async (inDir: string, outDir: string, o: { task?: AlbertTask; fp16?: boolean; fuse?: boolean; int8?: boolean; int8Weights?: 'int8-7bit' | 'uint8'; tokenizer?: string; overwrite?: boolean; json?: boolean }) => {
      const result = await convertModel(inDir, outDir, {
        task: o.task,
        fp16: Boolean(o.fp16),
        fuse: Boolean(o.fuse),
        int8: Boolean(o.int8),
        ...(o.int8Weights ? { int8Weights: o.int8Weights } : {}),
        overwrite: Boolean(o.overwrite),
        tokenizerDir: o.tokenizer,
        onProgress: (m) => process.stderr.write(`albert convert: ${m}\n`),
      });
      for (const w of result.warnings) process.stderr.write(`albert convert: warning: ${w}\n`);
      process.stdout.write(o.json ? `${JSON.stringify(result, null, 2)}\n` :
        `${result.outDir}: task ${result.task}, ${result.variant}, outputs ${result.outputs.join(', ')}, ` +
        `${result.parameters.toLocaleString('en-US')} parameters, model.onnx ${(result.onnxBytes / 1e6).toFixed(1)} MB, ` +
        `tokenizer ${result.tokenizer}; wrote ${result.files.join(', ')}\n`);
    });
}
