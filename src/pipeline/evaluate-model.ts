import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, optionError, OutputError } from '../errors.js';
import { writeFileAtomic } from '../io/durable-file.js';
import { readModelFiles } from '../io/model-files.js';
import { packageInfo } from '../io/package-root.js';
import { parseAlbertConfig } from '../model/albert-config.js';
import { labelTask } from '../tasks/label-task.js';
import { argmaxRows, multiLabelMetrics, singleLabelMetrics, thresholdTable, type MultiLabelMetrics, type SingleLabelMetrics, type ThresholdRow } from '../train/metrics.js';
import { confusionMatrixSvg, labelScoresSvg, reliabilitySvg } from '../train/report-svg.js';
import { boolOption, checkKnownKeys, splitKeys, stringOption } from '../options.js';
import { readJobRows } from './job-output.js';
import { readLabels } from './labelled-input.js';
import { bundledModel } from './load-model.js';
import { runJob } from './run-job.js';
import { PASSED_JOB_KEYS, type TrainHeadOptions } from './train-head-options.js';

export interface EvaluateOptions extends Pick<TrainHeadOptions, (typeof PASSED_JOB_KEYS)[number] | 'labelColumn' | 'multiLabel' | 'labelSeparator' | 'overwrite'> {
  /** A labelled file, folder or glob. */
  input: string;
  /** The report folder. */
  out: string;
  /** Multi-label: probability above which a label is predicted (default 0.5). */
  threshold?: number;
  /** Also report coverage and accuracy with `albert label --min-score` at this value. */
  minScore?: number;
}

/** evaluation.json. */
export interface EvaluationReport {
  format: 'albert-pipeline/evaluation@1';
  tool: { name: 'albert-pipeline'; version: string };
  model: { name: string; path: string; sha256: string };
  input: { path: string; label_column: string };
  multi_label: boolean;
  rows: { read: number; evaluated: number; not_evaluated: number; not_evaluated_by_code: Record<string, number> };
  /** True labels the model has no output for: their rows count as wrong. */
  unknown_labels: string[];
  metrics: SingleLabelMetrics | MultiLabelMetrics;
  /** Single-label: coverage and accuracy per `--min-score`. */
  min_score_table?: ThresholdRow[];
  files: string[];
}

const DEFAULT_THRESHOLDS = [0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
const OWN = ['input', 'out', 'labelColumn', 'multiLabel', 'labelSeparator', 'threshold', 'minScore', 'overwrite'];
const REPORT_FILES = ['evaluation.json', 'confusion-matrix.svg', 'calibration.svg', 'label-scores.svg', 'misclassified.jsonl'];

/**
 * `albert evaluate`: labels rows whose labels are known with a classifier model folder
 * (fine-tuned, or written by train-head) through the label task, and writes to `out`:
 * evaluation.json (accuracy, macro and per-class precision/recall/F1, the confusion matrix,
 * calibration with its expected calibration error, coverage per --min-score),
 * confusion-matrix.svg, calibration.svg, misclassified.jsonl (most confident mistakes
 * first), and predictions/ (the label job's own output).
 *
 * @example
 * ```ts
 * const r = await evaluateModel({ input: 'test.csv', model: 'models/my-classifier', out: 'out/eval' });
 * (r.metrics as SingleLabelMetrics).accuracy;
 * ```
 */
export async function evaluateModel(options: EvaluateOptions): Promise<EvaluationReport> {
  checkKnownKeys(options as unknown as Record<string, unknown>, [...OWN, ...PASSED_JOB_KEYS], 'evaluate options');
  const [, job] = splitKeys(options as unknown as Record<string, unknown>, OWN);
  if (typeof options.input !== 'string' || options.input === '') throw optionError('input', options.input, 'a labelled file, folder or glob');
  const out = stringOption('--out', options.out, null);
  if (out === null) throw optionError('--out', options.out, 'the report folder');
  const overwrite = boolOption('--overwrite', options.overwrite, false);
  const labelColumn = stringOption('--label-column', options.labelColumn, 'label');
  const modelDir = typeof job.model === 'string' ? job.model : bundledModel(labelTask.defaultModel);
  const files = await readModelFiles(modelDir);
  const config = parseAlbertConfig(files.config, join(files.dir, 'config.json'));
  const multi = options.multiLabel === undefined ? config.problemType === 'multi_label_classification' : boolOption('--multi-label', options.multiLabel, false);
  const separator = multi ? stringOption('--label-separator', options.labelSeparator, '|') : null;
  const log = (job.log as NodeJS.WritableStream | undefined) ?? process.stderr;
  const say = (line: string) => { if (job.quiet !== true) log.write(`${line}\n`); };

  await prepareReportDir(out, overwrite);
  const labels = await readLabels({ input: options.input, read: job, labelColumn, separator });
  if (labels.bySeq.size === 0) throw new InputError('ALB_TRAIN_DATA_INVALID', `cannot evaluate: no labelled rows in ${options.input} (column ${JSON.stringify(labelColumn)})`, { option: '--label-column' });
  const predDir = join(out, 'predictions');
  await runJob(labelTask, { ...job, model: modelDir, input: options.input, out: predDir, multiLabel: multi, ...(options.threshold !== undefined ? { threshold: options.threshold } : {}), overwrite });
  const rows = await readJobRows(predDir);
  if (rows.table === null) throw new InputError('ALB_TRAIN_DATA_INVALID', `cannot evaluate: the model labelled none of the rows (see ${join(predDir, 'rejects.jsonl')})`, {});
  const names = JSON.parse(rows.table.schema.metadata.get('albert.labels') ?? '[]') as string[];
  const k = names.length;
  const probsCol = rows.table.getChild('probs')!;
  const ids = rows.table.getChild('id')!;
  const used = Array.from(rows.seqs.entries()).filter(([, seq]) => labels.bySeq.has(seq));
  const probs = new Float32Array(used.length * k);
  used.forEach(([row], i) => probs.set(probsCol.get(row)!.toArray() as Float32Array, i * k));
  const notEvaluated: Record<string, number> = {};
  for (const r of labels.rejects) notEvaluated[r.code] = (notEvaluated[r.code] ?? 0) + 1;
  for (const r of rows.rejects) if (labels.bySeq.has(r.row)) notEvaluated[r.code] = (notEvaluated[r.code] ?? 0) + 1;

  const known = new Set(names);
  const unknown = [...new Set(used.flatMap(([, seq]) => labels.bySeq.get(seq)!))].filter((l) => !known.has(l)).sort();
  if (unknown.length > 0) say(`evaluate: ${unknown.length} true label${unknown.length > 1 ? 's' : ''} the model cannot predict (counted as wrong): ${unknown.map((l) => JSON.stringify(l)).join(', ')}; the model's labels: ${names.join(', ')}`);
  const written: string[] = [];
  const write = async (name: string, data: string) => { await writeFileAtomic(join(out, name), data); written.push(name); };
  const title = `${files.name} on ${used.length.toLocaleString('en-US')} labelled rows`;
  let metrics: SingleLabelMetrics | MultiLabelMetrics;
  let table: ThresholdRow[] | undefined;
  if (!multi) {
    const truthLabels = [...names, ...unknown];
    const index = new Map(truthLabels.map((n, i) => [n, i]));
    const truth = Int32Array.from(used, ([, seq]) => index.get(labels.bySeq.get(seq)![0])!);
    const m = singleLabelMetrics(truth, probs, truthLabels, k);
    metrics = m;
    const thresholds = [...new Set([...DEFAULT_THRESHOLDS, ...(options.minScore !== undefined ? [options.minScore] : [])])].sort((a, b) => a - b);
    table = thresholdTable(truth, probs, k, thresholds);
    const pred = argmaxRows(probs, used.length, k);
    const mistakes = used.map(([row, seq], i) => ({ row: seq, id: String(ids.get(row)), label: truthLabels[truth[i]], predicted: names[pred[i]], score: probs[i * k + pred[i]] }))
      .filter((r, i) => truth[i] !== pred[i])
      .sort((a, b) => b.score - a.score || a.row - b.row);
    await write('confusion-matrix.svg', confusionMatrixSvg({
      title: `Confusion matrix: ${title}`,
      subtitle: `accuracy ${m.accuracy.toFixed(3)} · macro-F1 ${m.macro.f1.toFixed(3)} · ECE ${m.calibration.ece.toFixed(3)}`,
      truthLabels, predictedLabels: names, confusion: m.confusion, classes: m.classes,
    }));
    await write('calibration.svg', reliabilitySvg(`Calibration: ${title}`, m.calibration));
    await write('misclassified.jsonl', mistakes.map((r) => `${JSON.stringify({ ...r, score: Number(r.score.toFixed(6)) })}\n`).join(''));
    say(`evaluate: ${used.length} rows · accuracy ${m.accuracy.toFixed(4)} · macro-F1 ${m.macro.f1.toFixed(4)} · ECE ${m.calibration.ece.toFixed(4)} · ${mistakes.length} misclassified`);
  } else {
    const index = new Map(names.map((n, i) => [n, i]));
    const truth = new Uint8Array(used.length * k);
    used.forEach(([, seq], i) => { for (const l of labels.bySeq.get(seq)!) if (index.has(l)) truth[i * k + index.get(l)!] = 1; });
    const m = multiLabelMetrics(truth, probs, names, options.threshold ?? 0.5);
    metrics = m;
    await write('label-scores.svg', labelScoresSvg(`Per-label scores: ${title}`, `subset accuracy ${m.subsetAccuracy.toFixed(3)} · micro-F1 ${m.micro.f1.toFixed(3)} · macro-F1 ${m.macro.f1.toFixed(3)}`, m.labels));
    await write('calibration.svg', reliabilitySvg(`Calibration: ${title}`, m.calibration));
    say(`evaluate: ${used.length} rows · subset accuracy ${m.subsetAccuracy.toFixed(4)} · micro-F1 ${m.micro.f1.toFixed(4)} · macro-F1 ${m.macro.f1.toFixed(4)}`);
  }
  const report: EvaluationReport = {
    format: 'albert-pipeline/evaluation@1',
    tool: { name: 'albert-pipeline', version: packageInfo().version },
    model: { name: files.name, path: files.dir, sha256: files.onnxSha256 },
    input: { path: options.input, label_column: labelColumn },
    multi_label: multi,
    rows: { read: labels.rows, evaluated: used.length, not_evaluated: labels.rows - used.length, not_evaluated_by_code: notEvaluated },
    unknown_labels: unknown,
    metrics,
    ...(table ? { min_score_table: table } : {}),
    files: [...written, 'evaluation.json', 'predictions/'],
  };
  await write('evaluation.json', `${JSON.stringify(report, null, 2)}\n`);
  say(`evaluate: wrote ${written.map((f) => join(out, f)).join(', ')}`);
  return report;
}

/** A report folder that holds other things is refused unless --overwrite, which clears only what evaluate writes. */
async function prepareReportDir(out: string, overwrite: boolean): Promise<void> {
  const st = await stat(out).catch(() => null);
  if (st !== null && !st.isDirectory()) throw new OutputError('ALB_OUTPUT_NOT_DIR', `--out ${out} is a file; evaluate writes a report folder`, { option: '--out', out });
  const entries = st ? await readdir(out) : [];
  if (entries.length > 0 && !overwrite) {
    throw new OutputError('ALB_OUTPUT_NOT_EMPTY', `--out ${out} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}); pass --overwrite to replace the report, or another --out`, { option: '--out', out });
  }
  for (const f of REPORT_FILES) await rm(join(out, f), { force: true });
  await mkdir(out, { recursive: true });
}
