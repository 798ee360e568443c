import { Command } from 'commander';
import { formatModelInspection, inspectModelFolder } from '../convert/inspect-model.js';

/**
 * `albert inspect <model-folder>`: architecture, sizes, parameters, heads, ONNX I/O and
 * tokenizer of a model folder, as text (or JSON with --json) on stdout.
 */
export function inspectCommand(): Command {
  return new Command('inspect')
    .description('describe a model folder: architecture, sizes, parameter count, heads, ONNX inputs/outputs, tokenizer')
    .argument('<model-folder>', 'a converted model folder or an HF checkpoint folder')
    .option('--json', 'print JSON instead of text')
    .addHelpText('after', '\nExample:\n  albert inspect models/albert-mini-sop\n')
    .action(async (dir: string, o: { json?: boolean }) => {
      const info = await inspectModelFolder(dir);
      process.stdout.write(o.json ? `${JSON.stringify(info, null, 2)}\n` : formatModelInspection(info));
    });
}
