import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { writeModelFolder, type FolderFile } from '../convert/write-model-folder.js';
import { InputError, OutputError } from '../errors.js';
import { readModelFiles } from '../io/model-files.js';
import { embedTask } from '../tasks/embed-task.js';
import { fitHead, type FitResult, type FitSettings } from '../train/fit-head.js';
import { appendHead } from '../train/head-graph.js';
import type { Targets } from '../train/losses.js';
import { readJobRows } from './job-output.js';
import { readManifest } from './manifest.js';
import { readLabels } from './labelled-input.js';
import { bundledModel } from './load-model.js';
import type { RejectRecord } from './reject.js';
import { runJob } from './run-job.js';
import { summaryLine } from './job-summary.js';
import { headConfig, trainingReport, type TrainingReport } from './training-report.js';
import { resolveTrainHeadOptions, type TrainHeadOptions } from './train-head-options.js';

export interface TrainHeadResult {
  /** The model folder written. */
  out: string;
  report: TrainingReport;
  fit: FitResult;
}

/**
 * `albert train-head`: embeds a labelled input with a base model through the normal
 * pipeline (any input format, rejects, progress), fits a head on the embeddings in
 * TypeScript (see src/train), and writes a classifier model folder that `albert label`
 * takes as is: model.onnx (base graph + pooling + standardization + head, ending in
 * `logits`), config.json with id2label/label2id, the tokenizer, training-report.json and
 * training-rejects.jsonl (the rows not trained on, and why). The folder appears whole or
 * not at all. The same input, options and seed give a byte-identical model.onnx.
 *
 * @example
 * ```ts
 * const { report } = await trainHead({ input: 'labelled.csv', out: 'models/my-classifier' });
 * report.cross_validation.chosen.accuracy.mean;
 * ```
 */
export async function trainHead(options: TrainHeadOptions): Promise<TrainHeadResult> {
  const t0 = performance.now();
  const o = resolveTrainHeadOptions(options);
  const log = (o.job.log as NodeJS.WritableStream | undefined) ?? process.stderr;
  const quiet = o.job.quiet === true;
  const say = (line: string) => { if (!quiet) log.write(`${line}\n`); };
  await checkModelOut(o.out, o.overwrite);
  const baseDir = typeof o.job.model === 'string' ? o.job.model : bundledModel(embedTask.defaultModel);
  const base = await readModelFiles(baseDir);

  const labels = await readLabels({ input: o.input, read: o.job, labelColumn: o.labelColumn, separator: o.separator });
  const names = [...new Set([...labels.bySeq.values()].flat())].sort();
  checkLabels(names, labels.bySeq, o.multiLabel, o.fit.folds, 'in the input');
  const tLabels = performance.now();

  const embedDir = o.embeddings ?? join(dirname(resolve(o.out)), `.${basename(resolve(o.out))}.embeddings-${process.pid}`);
  let embedded;
  let maxLength: number;
  try {
    if (o.embeddings === null) await rm(embedDir, { recursive: true, force: true });
    const reuse = o.embeddings !== null && existsSync(join(embedDir, 'manifest.json'));
    const summary = await runJob(embedTask, { ...o.job, model: baseDir, input: o.input, out: embedDir, pooling: o.pooling, normalize: o.normalize, ...(reuse ? { resume: true } : {}) });
    say(summaryLine(summary));
    embedded = await readJobRows(embedDir);
    // The max length the rows were cut at (--max-length, else the base model's), as the job
    // ran it: the folder records it, so that a job on the folder cuts rows the same way.
    maxLength = (await readManifest(embedDir))!.fingerprint.max_length as number;
  } finally {
    if (o.embeddings === null) await rm(embedDir, { recursive: true, force: true });
  }
  const tEmbed = performance.now();

  // Rows trained on: embedded and labelled. The others are accounted for in training-rejects.jsonl.
  const rejects: RejectRecord[] = [...labels.rejects, ...embedded.rejects.filter((r) => labels.bySeq.has(r.row))].sort((a, b) => a.row - b.row);
  const used = Array.from(embedded.seqs.entries()).filter(([, seq]) => labels.bySeq.has(seq));
  const d = embedded.table ? (embedded.table.schema.fields.find((f) => f.name === 'embedding')!.type as { listSize: number }).listSize : 0;
  const x = new Float32Array(used.length * d);
  const column = embedded.table?.getChild('embedding');
  used.forEach(([row], i) => x.set(column!.get(row)!.toArray() as Float32Array, i * d));
  const usedLabels = new Map(used.map(([, seq]) => [seq, labels.bySeq.get(seq)!]));
  checkLabels(names, usedLabels, o.multiLabel, o.fit.folds, 'among the rows the model embedded');
  const k = names.length;
  const index = new Map(names.map((n, i) => [n, i]));
  const targets: Targets = o.multiLabel
    ? { kind: 'multi', y: (() => { const y = new Uint8Array(used.length * k); used.forEach(([, seq], i) => { for (const l of usedLabels.get(seq)!) y[i * k + index.get(l)!] = 1; }); return y; })() }
    : { kind: 'single', y: Int32Array.from(used, ([, seq]) => index.get(usedLabels.get(seq)![0])!) };

  say(`train-head: ${used.length} rows, ${k} ${o.multiLabel ? 'labels' : 'classes'}; fitting a ${o.fit.hidden > 0 ? `${o.fit.hidden}-unit MLP` : 'logistic regression'}, ${o.fit.l2.length} L2 value${o.fit.l2.length > 1 ? 's' : ''} x ${o.fit.folds} folds`);
  let lastSaid = 0;
  const fit = fitHead({ x, n: used.length, d, targets, labels: names }, o.fit, (done, total) => {
    const now = performance.now();
    if (now - lastSaid < 1000 && done < total) return;
    lastSaid = now;
    say(`train-head: ${done}/${total} fits (${done < total ? 'cross-validation' : 'final fit on all rows'})`);
  });
  const tFit = performance.now();
  checkFinalFit(fit, o.fit, used.length, (line) => log.write(`${line}\n`));

  const modelBytes = appendHead(new Uint8Array(await readFile(base.onnxPath)), fit.head, { pooling: o.pooling, normalize: o.normalize }, base.onnxPath);
  const report = trainingReport({
    o, base, names, fit, targets, rowsRead: labels.rows, used: used.length, rejects, modelBytes, maxLength,
    timings: { labels: (tLabels - t0) / 1000, embedding: (tEmbed - tLabels) / 1000, fit: (tFit - tEmbed) / 1000, total: (performance.now() - t0) / 1000 },
  });
  const files: FolderFile[] = [
    { name: 'config.json', data: `${JSON.stringify(headConfig(base, names, o, fit, maxLength), null, 2)}\n` },
    ...(await tokenizerFiles(base.dir)),
    { name: 'training-report.json', data: `${JSON.stringify(report, null, 2)}\n` },
    { name: 'training-rejects.jsonl', data: rejects.map((r) => `${JSON.stringify(r)}\n`).join('') },
    // Last: a folder with model.onnx is a complete one.
    { name: 'model.onnx', data: modelBytes },
  ];
  await writeModelFolder(o.out, files);
  const cv = report.cross_validation.chosen;
  say(`train-head: wrote ${o.out} · ${used.length} rows · L2 ${fit.l2} · CV ${o.multiLabel ? 'subset accuracy' : 'accuracy'} ${cv.accuracy.mean.toFixed(3)} ± ${cv.accuracy.std.toFixed(3)}, macro-F1 ${cv.macro_f1.mean.toFixed(3)} · ${report.timings_s.total.toFixed(1)}s (embedding ${report.timings_s.embedding.toFixed(1)}s, fit ${report.timings_s.fit.toFixed(1)}s)`);
  return { out: o.out, report, fit };
}

/**
 * The final fit's stop reason, told rather than ignored: a line-search stop is a warning
 * (the head may be under-fitted), and at iteration 0 an error, since the head would be its
 * initial weights, written as if trained. Warnings go to the log even with --quiet, as the
 * thread warning does: they are about the model written, not progress.
 */
export function checkFinalFit(fit: Pick<FitResult, 'stopReason' | 'iterations' | 'l2'>, s: Pick<FitSettings, 'patience' | 'maxIterations'>, rows: number, warn: (line: string) => void): void {
  if (fit.stopReason === 'line-search' && fit.iterations === 0) {
    throw new InputError('ALB_TRAIN_DATA_INVALID', `cannot train a head: the final fit on all ${rows} rows took no step (L-BFGS line search failed at iteration 0, at L2 ${fit.l2}), so the head would be its initial weights; check that the base model gives finite embeddings of these rows (albert embed with the same --model, or --variant none), or pass another --l2 (got ${fit.l2})`, { option: '--l2', got: fit.l2, stop_reason: fit.stopReason, iterations: fit.iterations });
  }
  if (fit.stopReason === 'line-search') {
    warn(`train-head: warning: the final fit stopped after ${fit.iterations} iteration${fit.iterations === 1 ? '' : 's'} because no step lowered the loss (L-BFGS line search failed, L2 ${fit.l2}); the head may be under-fitted: compare train_loss and the CV figures in training-report.json, or try another --l2`);
  } else if (fit.stopReason === 'max-iterations' && s.patience === 0) {
    warn(`train-head: warning: the final fit did not converge within --max-iterations ${s.maxIterations} (--patience 0 runs every fit to convergence); raise --max-iterations, or use early stopping (--patience)`);
  }
}

/** A model folder is written whole; one that exists with files is replaced only with --overwrite. */
async function checkModelOut(out: string, overwrite: boolean): Promise<void> {
  const st = await stat(out).catch(() => null);
  if (st === null) return;
  if (!st.isDirectory()) throw new OutputError('ALB_OUTPUT_NOT_DIR', `--out ${out} is a file; train-head writes a model folder`, { option: '--out', out });
  const entries = await readdir(out);
  if (entries.length > 0 && !overwrite) {
    throw new OutputError('ALB_OUTPUT_NOT_EMPTY', `--out ${out} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}); pass --overwrite to replace the model folder, or another --out`, { option: '--out', out });
  }
}

function checkLabels(names: readonly string[], bySeq: ReadonlyMap<number, readonly string[]>, multi: boolean, folds: number, where: string): void {
  const fail = (msg: string): never => { throw new InputError('ALB_TRAIN_DATA_INVALID', `cannot train a head: ${msg}`, { where }); };
  if (bySeq.size === 0) fail(`no labelled rows ${where}`);
  if (!multi && names.length < 2) fail(`one class only ${where} (${JSON.stringify(names[0])}); a classifier needs two or more`);
  if (multi && names.length < 1) fail(`no labels ${where}`);
  if (bySeq.size < folds) fail(`${bySeq.size} labelled rows ${where}, fewer than --folds ${folds}`);
  if (multi) return;
  const counts = new Map<string, number>(names.map((n) => [n, 0]));
  for (const l of bySeq.values()) counts.set(l[0], counts.get(l[0])! + 1);
  const few = [...counts].filter(([, c]) => c < folds);
  if (few.length > 0) {
    fail(`class${few.length > 1 ? 'es' : ''} ${few.map(([n, c]) => `${JSON.stringify(n)} (${c} row${c === 1 ? '' : 's'})`).join(', ')} ${where} ha${few.length > 1 ? 've' : 's'} fewer rows than --folds ${folds}; label more rows of ${few.length > 1 ? 'each' : 'it'}, or lower --folds`);
  }
}

const TOKENIZER_FILES = ['tokenizer.json', 'spiece.model', 'tokenizer_config.json', 'special_tokens_map.json'];

async function tokenizerFiles(dir: string): Promise<FolderFile[]> {
  const out: FolderFile[] = [];
  for (const name of TOKENIZER_FILES) {
    const data = await readFile(join(dir, name)).catch(() => null);
    if (data) out.push({ name, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  }
  return out;
}

