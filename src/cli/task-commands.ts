import { Command, Option } from 'commander';
import { embedTask } from '../tasks/embed-task.js';
import { fillMaskTask } from '../tasks/fill-mask-task.js';
import { labelTask } from '../tasks/label-task.js';
import { sopTask } from '../tasks/sop-task.js';
import type { TaskDefinition } from '../tasks/task.js';
import { addJobFlags, floatArg, intArg } from './job-flags.js';
import { runCliJob } from './run-cli-job.js';

interface TaskCommandSpec<O> {
  task: TaskDefinition<O>;
  description: string;
  /** Option keys the task reads (also accepted in --config files). */
  keys: readonly string[];
  flags: (cmd: Command) => Command;
  example: string;
  mapFlags?: (o: Record<string, unknown>) => Record<string, unknown>;
}

/** One CLI command per task; they differ only in their task flags. */
function taskCommand<O>(spec: TaskCommandSpec<O>): Command {
  const cmd = new Command(spec.task.name).description(spec.description).argument('<input>', 'input file, or - for stdin');
  addJobFlags(cmd, spec.task.defaultModel);
  spec.flags(cmd);
  cmd.addHelpText('after', `\nExample:\n${spec.example}\n`);
  cmd.action(async (input: string, _o: unknown, self: Command) => runCliJob(spec.task, input, self, spec.keys, spec.mapFlags));
  return cmd;
}

export function embedCommand(): Command {
  return taskCommand({
    task: embedTask,
    description: 'embed each row; writes Arrow parts of id, embedding, n_tokens, truncated',
    keys: ['pooling', 'normalize'],
    flags: (c) => c.addOption(new Option('--pooling <mode>', 'mean | cls | max | pooler (default: mean)').choices(['mean', 'cls', 'max', 'pooler'])).option('--no-normalize', 'do not L2-normalize embeddings'),
    example: '  albert embed data/sample.csv --out out/sample\n  cat docs.jsonl | albert embed - --format jsonl --out out/docs --pooling cls',
  });
}

export function labelCommand(): Command {
  return taskCommand({
    task: labelTask,
    description: 'classify each row; writes id, label, score, probs (+ labels, top_k)',
    keys: ['multiLabel', 'threshold', 'topK'],
    flags: (c) =>
      c
        .option('--multi-label', 'sigmoid per label; adds `labels` (those above --threshold)')
        .option('--threshold <p>', 'probability above which a label is in `labels` (default: 0.5)', floatArg('--threshold'))
        .option('--top-k <k>', 'add a `top_k` column of the k most probable labels', intArg('--top-k')),
    example: '  albert label data/sample.csv --out out/labels --top-k 2',
  });
}

export function fillMaskCommand(): Command {
  return taskCommand({
    task: fillMaskTask,
    description: 'predict the tokens at every [MASK] of each row; writes id, predictions',
    keys: ['topK'],
    flags: (c) => c.option('--top-k <k>', 'predictions per [MASK] (default: 5)', intArg('--top-k')),
    example: '  echo \'{"id":"a","text":"see the [MASK] file for details."}\' | albert fill-mask - --format jsonl --out out/mask',
  });
}

export function sopCommand(): Command {
  return taskCommand({
    task: sopTask,
    description: 'sentence-order prediction on pairs (a, b); writes id, in_order, score, probs',
    keys: ['textAColumn'],
    flags: (c) => c.option('--text-a-column <name>', 'column holding the first segment (same as --text-column)'),
    mapFlags: ({ textAColumn, ...rest }) => (textAColumn === undefined ? rest : { ...rest, textColumn: textAColumn }),
    example: '  albert sop pairs.csv --text-a-column first --text-b-column second --out out/sop',
  });
}
