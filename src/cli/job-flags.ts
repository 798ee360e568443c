import { readFileSync } from 'node:fs';
import { Command, Option, InvalidArgumentError } from 'commander';
import { OptionError } from '../errors.js';
import { INPUT_FORMAT_NAMES } from '../io/input-formats.js';
import { OUTPUT_FORMAT_NAMES } from '../io/output-formats.js';
import { JOB_OPTION_KEYS } from '../pipeline/job-options.js';
import { LONG_MODES } from '../pipeline/long-options.js';
import { checkKnownKeys } from '../options.js';
import { SHARDING_KEYS } from '../shards/run-shards.js';
import { deviceSpellings } from '../workers/execution-providers.js';

/** Parses an integer flag, naming the flag in the error. */
export function intArg(flag: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`option ${flag}: expected an integer, got ${JSON.stringify(value)}`);
    return Number(value);
  };
}

export function floatArg(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`option ${flag}: expected a number, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** Where and how wide inference runs: shared by the task commands and `albert worker`. */
export function addDeviceFlags(cmd: Command): Command {
  return cmd
    .option('--device <device>', `${deviceSpellings().split('|').join(' | ')} (auto: CUDA if it loads, else CPU) (default: cpu)`)
    .option('--workers <n>', 'worker threads (sessions) per device (default: one per core on CPU, 2 per GPU)', intArg('--workers'))
    .option('--threads <n>', 'ONNX Runtime threads per worker (default: cores/workers on CPU, 1 on CUDA)', intArg('--threads'));
}

/** How rows are read and batched: the pipeline tasks', train-head's and evaluate's. */
export function addInputFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--format <format>', 'input format (default: from the extension)').choices([...INPUT_FORMAT_NAMES]))
    .option('--text-column <name>', 'column (or JSONL field) holding the text (default: text)')
    .option('--text-b-column <name>', 'column holding a second segment: encodes [CLS] a [SEP] b [SEP]')
    .option('--id-column <name>', 'column holding row ids; a column you name must exist (default: id if the input has one, else the 0-based row number)')
    .option('--keep-empty', 'process empty and whitespace-only texts instead of rejecting them')
    .option('--max-record-bytes <n>', 'reject input records larger than this (default: 1048576)', intArg('--max-record-bytes'))
    .option('--max-length <n>', "tokens per row incl. [CLS]/[SEP] (default: the model's maximum); longer rows are truncated and flagged", intArg('--max-length'))
    .option('--batch-tokens <n>', 'padded tokens per batch, rows x longest row (default: 2048 on CPU, 65536 on CUDA)', intArg('--batch-tokens'));
}

/** Flags every pipeline task takes. Defaults are documented, not set here: options resolve once, in the library. */
export function addJobFlags(cmd: Command, defaultModel: string): Command {
  cmd
    .requiredOption('-o, --out <dir>', 'output directory (part files, manifest.json, rejects.jsonl)')
    .option('-m, --model <dir>', `model folder (config.json, model.onnx, tokenizer.json or spiece.model); default: bundled ${defaultModel}`)
    .option('--variant <name>', 'which variant of the model folder runs: a name under <model>/variants/ (int8-fused, fp16-fused, …), auto (the device\'s preferred one that passed its accuracy check) or none (default: cuda picks a checked fp16 variant; cpu runs the model itself and names a faster variant)');
  addInputFlags(cmd)
    .addOption(new Option('--long <mode>', 'rows longer than --max-length: truncate (flagged), reject (ALB_ROW_TOO_LONG), or split into overlapping windows merged into one row (embed, label) (default: truncate)').choices([...LONG_MODES]))
    .option('--chunk-tokens <n>', 'with --long split: tokens per window incl. [CLS]/[SEP] (default: the max length)', intArg('--chunk-tokens'))
    .option('--chunk-overlap <n>', 'with --long split: tokens each window repeats from the one before (default: --chunk-tokens / 8, rounded down)', intArg('--chunk-overlap'))
    .addOption(new Option('--output-format <format>', 'format of the part files (default: arrow)').choices([...OUTPUT_FORMAT_NAMES]));
  return addDeviceFlags(cmd)
    .option('--window-rows <n>', 'rows sorted and batched together (default: 4096 CPU, 16384 CUDA)', intArg('--window-rows'))
    .option('--part-rows <n>', 'input rows per part file, a multiple of --window-rows (default: 4 windows)', intArg('--part-rows'))
    .option('--overwrite', 'replace the job already in --out')
    .option('--resume', 'continue the job in --out from its last committed part (after checking its parts, rejects and input)')
    .option('--trust-input', '--resume without re-reading the committed bytes of the input to check they are unchanged')
    .addOption(new Option('--verify <level>', 'what --resume checks of the committed parts: size (sizes and footers) or full (also sha256) (default: size)').choices(['size', 'full']))
    .option('--lock-stale <seconds>', 'a lock on --out from another host without a heartbeat for this long is stale (default: 600)', intArg('--lock-stale'))
    .addOption(new Option('--on-error <mode>', 'skip: reject bad rows and go on; fail: stop at the first (default: skip)').choices(['skip', 'fail']))
    .option('--max-rejects <n>', 'stop cleanly once more rows than this were rejected', intArg('--max-rejects'))
    .option('--batch-timeout <seconds>', 'abandon and retry a batch after this long (default: 600)', floatArg('--batch-timeout'))
    .option('-q, --quiet', 'no progress or summary on stderr')
    .option('--config <file>', 'read options from a JSON file (keys as in configs/*.json); flags win over the file')
    .option('--shard-count <n>', 'static sharding: the number of processes sharing this job (see README "Scale-out")', intArg('--shard-count'))
    .option('--shard-index <i>', 'static sharding: this process (default: $JOB_COMPLETION_INDEX or $SLURM_ARRAY_TASK_ID)', intArg('--shard-index'))
    .option('--shard-rows <n>', 'input rows per shard, a multiple of --window-rows (default: 65536)', intArg('--shard-rows'))
    .option('--shard-bytes <n>', 'or: input bytes per shard', intArg('--shard-bytes'))
    .option('--run <id>', 'run id; shard ids are <run>-shard-00042 (default: run)');
}

/**
 * Merges `--config` file values with flags given on the command line (flags win), and maps
 * flag spellings to library option names. Unknown keys in the file are refused, by name.
 */
export function collectOptions(cmd: Command, taskKeys: readonly string[]): Record<string, unknown> {
  const flags = cmd.opts<Record<string, unknown>>();
  const known = [...JOB_OPTION_KEYS.filter((k) => k !== 'signal' && k !== 'log'), ...SHARDING_KEYS, ...taskKeys];
  let fromFile: Record<string, unknown> = {};
  if (typeof flags.config === 'string') fromFile = readConfigFile(flags.config, known);
  const fromFlags: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flags)) {
    if (key === 'config' || cmd.getOptionValueSource(key) !== 'cli') continue;
    if (key === 'batchTimeout') fromFlags.batchTimeoutMs = Math.round((value as number) * 1000);
    else if (key === 'lockStale') fromFlags.lockStaleMs = (value as number) * 1000;
    else fromFlags[key] = value;
  }
  return { ...fromFile, ...fromFlags };
}

export function readConfigFile(file: string, known: readonly string[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new OptionError('ALB_CONFIG_UNREADABLE', `--config ${file}: ${(err as Error).message}`, { option: '--config', got: file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new OptionError('ALB_CONFIG_INVALID', `--config ${file}: not valid JSON: ${(err as Error).message}`, { option: '--config', got: file });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new OptionError('ALB_CONFIG_INVALID', `--config ${file}: expected a JSON object of options`, { option: '--config', got: file });
  }
  const obj = Object.fromEntries(Object.entries(json as Record<string, unknown>).filter(([k]) => !k.startsWith('$') && k !== 'comment'));
  checkKnownKeys(obj, known, `--config ${file}`);
  return obj;
}
