import { once } from 'node:events';
import { Command, Option } from 'commander';
import { INPUT_FORMAT_NAMES, type InputFormat } from '../io/input-formats.js';
import { isSourceReject } from '../io/row.js';
import { readSource } from '../io/read-source.js';
import { bundledModel, loadModel, makeTokenizer } from '../pipeline/load-model.js';
import { intArg } from './job-flags.js';

/**
 * `albert tokenize`: our `spm_encode`. One JSON line per row on stdout,
 * `{"id","input_ids","tokens"}` (+ `token_type_ids` for pairs, `truncated` when cut).
 * Rejected rows go to stderr as JSON lines, so stdout stays pure data.
 */
export function tokenizeCommand(): Command {
  return new Command('tokenize')
    .description('print ALBERT token ids and pieces of each row as JSON lines (like spm_encode)')
    .argument('<input>', 'input file (.gz too), folder, quoted glob, or - for stdin')
    .option('-m, --model <dir>', 'model folder with tokenizer.json or spiece.model (default: bundled albert-mini)')
    .addOption(new Option('--format <format>', 'input format (default: from the extension)').choices([...INPUT_FORMAT_NAMES]))
    .option('--text-column <name>', 'column holding the text (default: text)')
    .option('--text-b-column <name>', 'column holding a second segment')
    .option('--id-column <name>', 'column holding row ids; a column you name must exist (default: id if the input has one, else the row number)')
    .option('--max-length <n>', 'truncate to this many tokens, as the pipeline would (default: no truncation)', intArg('--max-length'))
    .option('--keep-empty', 'tokenize empty texts instead of rejecting them')
    .action(async (input: string, o: Record<string, string | number | boolean | undefined>) => {
      const model = await loadModel((o.model as string | undefined) ?? bundledModel('albert-mini'));
      const tokenizer = makeTokenizer(model, (o.maxLength as number | undefined) ?? null, false);
      const source = readSource({
        input,
        ...(o.format ? { format: o.format as InputFormat } : {}),
        ...(o.textColumn ? { textColumn: o.textColumn as string } : {}),
        ...(o.textBColumn ? { textBColumn: o.textBColumn as string } : {}),
        ...(o.idColumn ? { idColumn: o.idColumn as string } : {}),
        keepEmpty: Boolean(o.keepEmpty),
      });
      const out = process.stdout;
      for await (const batch of source.batches()) {
        const lines: string[] = [];
        for (const item of batch) {
          if (isSourceReject(item)) {
            process.stderr.write(`${JSON.stringify({ row: item.seq, id: item.id ?? null, code: item.code, message: item.message })}\n`);
            continue;
          }
          const t = await tokenizer.tokenize(item.text, item.textB);
          const line: Record<string, unknown> = { id: item.id, input_ids: t.ids, tokens: t.tokens };
          if (item.textB !== undefined) line.token_type_ids = t.typeIds;
          if (t.truncated) line.truncated = true;
          lines.push(JSON.stringify(line));
        }
        if (lines.length > 0 && !out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
      }
    });
}
