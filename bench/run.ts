/**
 * `npm run bench`: albert-pipeline (a) against transformers.js (b) and a bare ONNX Runtime
 * session (c) on the same rows and model; or, with --memory, the pipeline's peak RSS at
 * growing row counts. Each system runs in its own child process (so peak RSS is its own);
 * this process only prepares the input, spawns, compares and writes
 * bench/results/<name>.json and <name>.svg. See bench/README.md.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { parseBenchArgs, REPO_ROOT } from './bench-args.js';
import { chartFromResult, type ResultJson } from './charts.js';
import { tjsInstalled, tjsMissingMessage } from './compare-install.js';
import { machineInfo, round } from './machine.js';
import { log } from './measure.js';
import { compareMode, memoryMode, sweepMode } from './modes.js';
import { renderChart } from '../src/bench/svg-chart.js';

/** Quotes argv for the record of the exact command. */
function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}


/**
 * A complete model folder. The HF tiny fixtures keep their tokenizer in a sibling
 * `tokenizer/` folder; those get a temp folder with config.json + model.onnx + tokenizer
 * files, as test/helpers/cli.ts tinyModel() does.
 */
function prepareModel(dir: string, work: string): { dir: string; composed: boolean } {
  if (!existsSync(join(dir, 'model.onnx'))) throw new Error(`--model ${dir}: no model.onnx there`);
  if (existsSync(join(dir, 'tokenizer.json')) || existsSync(join(dir, 'spiece.model'))) return { dir, composed: false };
  const tok = join(dir, '..', 'tokenizer');
  if (!existsSync(join(tok, 'tokenizer.json'))) throw new Error(`--model ${dir}: no tokenizer.json or spiece.model there, nor in ${tok}`);
  const out = join(work, 'model', basename(dir));
  mkdirSync(out, { recursive: true });
  for (const f of ['config.json', 'model.onnx']) copyFileSync(join(dir, f), join(out, f));
  for (const f of ['tokenizer.json', 'spiece.model', 'tokenizer_config.json']) if (existsSync(join(tok, f))) copyFileSync(join(tok, f), join(out, f));
  return { dir: out, composed: true };
}

function command(): { npm: string; node: string } {
  const argv = process.argv.slice(2).map(shellQuote).join(' ');
  return { npm: `npm run bench --${argv ? ` ${argv}` : ''}`, node: `node ${relative(REPO_ROOT, process.argv[1])} ${argv}`.trim() };
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (!/^[\w.-]+$/.test(args.name)) throw new Error(`--name ${JSON.stringify(args.name)}: letters, digits, '.', '_' and '-' only`);
  if (!existsSync(args.corpus)) throw new Error(`--corpus ${args.corpus}: no such file`);
  // Before any work: (b) needs the optional install in bench/compare.
  if (args.systems.includes('b') && !tjsInstalled()) {
    process.stderr.write(`bench: ${tjsMissingMessage()}\n`);
    process.exit(2);
  }
  const work = mkdtempSync(join(tmpdir(), 'albert-bench-'));
  const started = new Date();
  try {
    const model = prepareModel(args.model, work);
    const machine = machineInfo();
    log(`${machine.cpu_model}, ${machine.cores} cores, node ${machine.node}, onnxruntime-node ${machine.onnxruntime_node}; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const { json, table } = args.memory ? await memoryMode(args, work, model) : args.sweep ? await sweepMode(args, work, model) : await compareMode(args, work, model);
    const cmd = command();
    const result = {
      name: args.name,
      mode: args.memory ? 'memory' : args.sweep ? 'sweep' : 'compare',
      date: started.toISOString(),
      finished: new Date().toISOString(),
      command: cmd.npm,
      node_command: cmd.node,
      machine,
      loadavg_at_end: loadavg().map((x) => round(x, 2)),
      config: {
        model: relative(REPO_ROOT, args.model) || '.',
        model_folder_composed: model.composed,
        corpus: relative(REPO_ROOT, args.corpus),
        rows: args.memory ? args.rows : args.rows[0],
        systems: args.systems,
        pipeline_args: args.pipelineArgs,
        sweep: args.sweep,
        session_options_c: args.sessionOptions,
        repeat: args.repeat,
        max_length: args.maxLength,
        tjs_batch: args.tjsBatch,
        wait_idle_s: args.waitIdle,
      },
      ...json,
    };
    mkdirSync(args.resultsDir, { recursive: true });
    const jsonPath = join(args.resultsDir, `${args.name}.json`);
    const svgPath = join(args.resultsDir, `${args.name}.svg`);
    writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(svgPath, renderChart(chartFromResult(result as unknown as ResultJson)));
    process.stdout.write(`${table}\n\nwrote ${relative(process.cwd(), jsonPath)} and ${relative(process.cwd(), svgPath)}\n`);
  } finally {
    if (args.keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
