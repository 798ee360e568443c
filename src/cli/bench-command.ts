import { Command } from 'commander';
import { runBench } from '../bench/bench-sweep.js';
import { bundledModel } from '../pipeline/load-model.js';
import { availableParallelism } from 'node:os';
import { deviceSpellings, providerOf } from '../workers/execution-providers.js';
import { resolveDeviceOptions } from '../pipeline/job-options.js';
import { optionError } from '../errors.js';

interface BenchFlags {
  data?: string; textColumn: string; lengths: string; rows: string; variants: string; batchTokens?: string; workers?: string; threads?: string;
  device: string; maxLength?: string; bare: boolean; repeat: string; out: string; waitIdle: string; idleCores: string; retryBusy: string; seed: string; json?: boolean;
}

function intList(flag: string, value: string): number[] {
  const list = value.split(',').map((s) => Number(s.trim().replace(/_/g, '').replace(/k$/i, '000')));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) throw optionError(flag, value, 'a comma list of positive integers');
  return list;
}

/**
 * `albert bench [model-folder]`: throughput of a model folder and its variants on this
 * machine, swept over --batch-tokens × --workers × --variants. The table goes to stdout,
 * progress to stderr; the JSON record and the SVG chart to --out.
 */
export function benchCommand(): Command {
  return new Command('bench')
    .description('measure docs/s of a model folder (and its variants) here: a sweep of batch tokens × workers × variant, against the bare-session ceiling; writes JSON + SVG and recommends settings')
    .argument('[model-folder]', 'the model folder (default: bundled albert-mini)')
    .option('--data <csv>', 'your rows: a CSV (default: a generated corpus, see --lengths)')
    .option('--text-column <name>', 'the text column of --data', 'text')
    .option('--lengths <spec>', 'generated rows\' tokens: fixed:N, uniform:A-B, lognormal:MEDIAN,SIGMA, from:FILE.csv', 'lognormal:48,0.8')
    .option('--rows <n>', 'rows per run', '2000')
    .option('--variants <list>', 'fp32 (the folder\'s own model.onnx), variant names under <model>/variants/, or all', 'all')
    .option('--batch-tokens <list>', 'padded tokens per batch, a comma list (default: the device\'s default)')
    .option('--workers <list>', 'workers (sessions) per device, a comma list (default: the device\'s default)')
    .option('--threads <n>', 'ONNX Runtime threads per worker (default: the device\'s)')
    .option('--device <device>', deviceSpellings().split('|').join(' | '), 'cpu')
    .option('--max-length <n>', 'tokens per row (default: the model\'s maximum)')
    .option('--no-bare', 'skip the bare-session ceiling')
    .option('--repeat <n>', 'runs per configuration, interleaved (the median is reported)', '1')
    .option('--out <prefix>', 'write <prefix>.json and <prefix>.svg', 'albert-bench')
    .option('--wait-idle <seconds>', 'before each run, wait up to this long for other processes to go quiet', '0')
    .option('--idle-cores <x>', 'what counts as quiet: cores busy with other processes', '0.3')
    .option('--retry-busy <n>', 'measure a run again when others kept the machine busy during it', '0')
    .option('--seed <n>', 'seed of the generated corpus', '1')
    .option('--json', 'print the JSON record instead of the table')
    .addHelpText('after', '\nExamples:\n  albert bench models/albert-mini --variants fp32,int8-fused --batch-tokens 2048,8192 --workers 1,2\n' +
      '  albert bench my-model --data docs.csv --rows 5000 --device cuda --batch-tokens 32768,65536 --workers 1,2\n')
    .action(async (model: string | undefined, f: BenchFlags) => {
      const device = f.device;
      // The device's own defaults (execution-provider table) when no list is given.
      const d = resolveDeviceOptions({ device });
      const batchDefault = providerOf(d.device).defaults(availableParallelism()).batchTokens;
      const { record, table, files } = await runBench({
        model: model ?? bundledModel('albert-mini'),
        variants: f.variants.split(',').map((s) => s.trim()).filter(Boolean),
        data: f.data ?? null,
        textColumn: f.textColumn,
        lengths: f.lengths,
        rows: intList('--rows', f.rows)[0],
        batchTokens: f.batchTokens ? intList('--batch-tokens', f.batchTokens) : [batchDefault],
        workers: f.workers ? intList('--workers', f.workers) : [d.workers],
        threads: f.threads ? intList('--threads', f.threads)[0] : null,
        device,
        maxLength: f.maxLength ? intList('--max-length', f.maxLength)[0] : null,
        bare: f.bare,
        out: f.out,
        seed: intList('--seed', f.seed)[0],
        measure: { repeat: intList('--repeat', f.repeat)[0], waitIdle: Number(f.waitIdle), idleCores: Number(f.idleCores), retryBusy: Number(f.retryBusy), log: (l) => process.stderr.write(`albert bench: ${l}\n`) },
        command: `albert ${process.argv.slice(2).join(' ')}`,
      });
      process.stdout.write(f.json ? `${JSON.stringify(record, null, 2)}\n` : `${table}\n\nwrote ${files.join(' and ')}\n`);
    });
}
