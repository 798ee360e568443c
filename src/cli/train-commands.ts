import { Command, InvalidArgumentError, Option } from 'commander';
import { trainHead } from '../pipeline/train-head.js';
import { evaluateModel } from '../pipeline/evaluate-model.js';
import { addDeviceFlags, addInputFlags, collectOptions, floatArg, intArg } from './job-flags.js';
import { warnIfOversubscribed } from './thread-warning.js';

function l2List(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.some((p) => p === '') || !nums.every((n) => Number.isFinite(n) && n >= 0)) {
    throw new InvalidArgumentError(`option --l2: expected a non-negative number or a comma-separated list of them, got ${JSON.stringify(value)}`);
  }
  return nums;
}

/** The flags of the job that embeds (train-head) or labels (evaluate) the rows. */
function addRunFlags(cmd: Command): Command {
  addInputFlags(cmd);
  return addDeviceFlags(cmd)
    .option('--window-rows <n>', 'rows sorted and batched together (default: 4096 CPU, 16384 CUDA)', intArg('--window-rows'))
    .addOption(new Option('--on-error <mode>', 'skip: leave bad rows out (listed with their reason) and go on; fail: stop at the first (default: skip)').choices(['skip', 'fail']))
    .option('--max-rejects <n>', 'stop once more rows than this were rejected', intArg('--max-rejects'))
    .option('--overwrite', 'replace what --out holds')
    .option('-q, --quiet', 'no progress or summary on stderr');
}

/** `albert train-head <labelled-input> --out MODEL_DIR`. */
export function trainHeadCommand(): Command {
  const cmd = new Command('train-head')
    .description('fit a classifier head on a base model\'s embeddings of labelled rows; writes a model folder `albert label` takes')
    .argument('<input>', 'labelled file (.gz too), folder or quoted glob, with a text and a label column')
    .requiredOption('-o, --out <dir>', 'the model folder to write (model.onnx, config.json, tokenizer, training-report.json)')
    .option('-m, --model <dir>', 'base model folder to embed with (default: bundled albert-mini)')
    .option('--label-column <name>', 'column (or JSONL field) holding the label (default: label)')
    .option('--multi-label', 'several labels per row, split on --label-separator; sigmoid outputs')
    .option('--label-separator <s>', 'separator of the labels in a multi-label cell (default: |)')
    .option('--hidden <n>', 'a one-hidden-layer MLP with n ReLU units instead of logistic regression', intArg('--hidden'))
    .option('--folds <n>', 'cross-validation folds (default: 5)', intArg('--folds'))
    .option('--l2 <values>', 'L2 strength, or comma-separated strengths to choose from by cross-validation (default: 1e-4 to 1 in half decades)', l2List)
    .option('--balance', 'weight classes inversely to their frequency')
    .option('--seed <n>', 'seed of the fold shuffle and the MLP initialization (default: 1)', intArg('--seed'))
    .option('--max-iterations <n>', 'optimizer iterations at most per fit (default: 500)', intArg('--max-iterations'))
    .option('--patience <n>', 'early stopping: iterations without a better held-out loss (default: 20; 0: off)', intArg('--patience'))
    .addOption(new Option('--pooling <mode>', 'pooling of the base model\'s hidden states, as albert embed (default: mean)').choices(['mean', 'cls', 'max']))
    .option('--no-normalize', 'do not L2-normalize the pooled vector')
    .option('--embeddings <dir>', 'keep the embedding job here, and reuse it when it is complete for the same input and options');
  addRunFlags(cmd);
  cmd.addHelpText('after', '\nExample:\n  albert train-head labelled.csv --out models/my-classifier\n  albert label unlabelled.csv --model models/my-classifier --out out/labels --min-score 0.6\n');
  cmd.action(async (input: string, _o: unknown, self: Command) => {
    const options = collectOptions(self, TRAIN_KEYS);
    warnIfOversubscribed(options);
    await trainHead({ ...options, input } as Parameters<typeof trainHead>[0]);
  });
  return cmd;
}

const TRAIN_KEYS = ['labelColumn', 'multiLabel', 'labelSeparator', 'hidden', 'folds', 'l2', 'balance', 'seed', 'maxIterations', 'patience', 'pooling', 'normalize', 'embeddings'];

/** `albert evaluate <labelled-input> --model DIR --out REPORT_DIR`. */
export function evaluateCommand(): Command {
  const cmd = new Command('evaluate')
    .description('label rows whose labels are known and report accuracy, per-class precision/recall/F1, the confusion matrix and calibration')
    .argument('<input>', 'labelled file (.gz too), folder or quoted glob, with a text and a label column')
    .requiredOption('-o, --out <dir>', 'report folder: evaluation.json, confusion-matrix.svg, calibration.svg, predictions/')
    .option('-m, --model <dir>', 'classifier model folder (default: bundled albert-mini-cls)')
    .option('--label-column <name>', 'column (or JSONL field) holding the true label (default: label)')
    .option('--multi-label', 'sigmoid per label (default: as the model\'s config.json says)')
    .option('--label-separator <s>', 'separator of the labels in a multi-label cell (default: |)')
    .option('--threshold <p>', 'multi-label: probability above which a label is predicted (default: 0.5)', floatArg('--threshold'))
    .option('--min-score <s>', 'also report coverage and accuracy when rows scored below s get no label', floatArg('--min-score'));
  addRunFlags(cmd);
  cmd.addHelpText('after', '\nExample:\n  albert evaluate test.csv --model models/my-classifier --out out/eval\n');
  cmd.action(async (input: string, _o: unknown, self: Command) => {
    const options = collectOptions(self, EVAL_KEYS);
    warnIfOversubscribed(options);
    await evaluateModel({ ...options, input } as Parameters<typeof evaluateModel>[0]);
  });
  return cmd;
}

const EVAL_KEYS = ['labelColumn', 'multiLabel', 'labelSeparator', 'threshold', 'minScore'];
