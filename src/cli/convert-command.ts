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
    .option('--fp16', 'float16 weights and matmuls; LayerNorm, softmax and I/O stay float32')
    .option('--tokenizer <folder>', 'take tokenizer.json / spiece.model from this folder (default: <hf-folder>)')
    .option('--overwrite', 'replace an existing model.onnx in <out-folder>')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  albert convert hf/albert-base-v2 models/albert-base --task base --fp16\n')
    .action(async (inDir: string, outDir: string, o: { task?: AlbertTask; fp16?: boolean; tokenizer?: string; overwrite?: boolean; json?: boolean }) => {
      const result = await convertModel(inDir, outDir, {
        task: o.task,
        fp16: Boolean(o.fp16),
        overwrite: Boolean(o.overwrite),
        tokenizerDir: o.tokenizer,
        onProgress: (m) => process.stderr.write(`albert convert: ${m}\n`),
      });
      for (const w of result.warnings) process.stderr.write(`albert convert: warning: ${w}\n`);
      process.stdout.write(o.json ? `${JSON.stringify(result, null, 2)}\n` :
        `${result.outDir}: task ${result.task}, ${result.precision}, outputs ${result.outputs.join(', ')}, ` +
        `${result.parameters.toLocaleString('en-US')} parameters, model.onnx ${(result.onnxBytes / 1e6).toFixed(1)} MB, ` +
        `tokenizer ${result.tokenizer}; wrote ${result.files.join(', ')}\n`);
    });
}
