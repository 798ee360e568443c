/**
 * How close a variant (int8, fp16, fused) is to its fp32 base, on real data, through the
 * real pipeline: both models run the same rows with `runJob`, and the outputs are compared
 * row by row. What is compared depends on the model's outputs:
 * - an encoder (`last_hidden_state`): cosine of the mean-pooled embeddings (min, mean);
 * - a classifier (`logits` [batch, labels]): label agreement, and accuracy against gold
 *   labels when a labelled CSV is given;
 * - a masked LM: top-1 agreement at a [MASK] put in place of one word per row.
 * The targets (issue 12) decide whether `--variant auto` may pick the variant.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { parse as parseCsv } from 'csv-parse/sync';
import { csvField, writeCorpusSubset } from '../io/corpus-subset.js';
import { runJob } from '../pipeline/run-job.js';
import { embedTask } from '../tasks/embed-task.js';
import { fillMaskTask } from '../tasks/fill-mask-task.js';
import { labelTask } from '../tasks/label-task.js';
import type { TaskDefinition } from '../tasks/task.js';
import { vectorAgreement } from '../model/vector-agreement.js';

/** What a variant must reach to be picked by default. */
export const ACCURACY_TARGETS = Object.freeze({ minCosine: 0.99, meanCosine: 0.999, labelAgreement: 0.98, accuracyDrop: 0.01, fillMaskTop1: 0.95 });

export interface VariantCheckOptions {
  /** CSV with a `text` column (default: the bundled data/sample.csv). */
  data: string;
  /** Rows of `data` to compare (the first non-blank ones). */
  rows: number;
  /** CSV with `text` and a gold label column, for accuracy (classifiers only). */
  labelled?: string | null;
  labelColumn?: string;
  /** Where both models run (`cpu`; `cuda` for an fp16 variant on a GPU). */
  device?: string;
  onProgress?: (message: string) => void;
}

export interface CheckFigure { readonly name: string; readonly value: number; readonly target: string; readonly passed: boolean }

export interface VariantReport {
  readonly format: 'albert-variant-report/1';
  readonly variant: string;
  readonly base: string;
  readonly date: string;
  readonly device: string;
  readonly data: { readonly path: string; readonly rows: number; readonly labelled: string | null; readonly labelled_rows: number | null };
  readonly embeddings: { readonly rows: number; readonly min_cosine: number; readonly mean_cosine: number; readonly rows_below_0_99: number; readonly worst_row: number } | null;
  readonly labels: { readonly rows: number; readonly agreement: number; readonly accuracy_fp32: number | null; readonly accuracy_variant: number | null } | null;
  readonly fill_mask: { readonly masks: number; readonly top1_agreement: number } | null;
  readonly checks: readonly CheckFigure[];
  readonly passed: boolean;
  readonly elapsed_s: number;
}

/**
 * Runs base and variant over the same rows and compares them.
 *
 * @example
 * ```ts
 * const r = await checkVariantAccuracy('models/albert-mini', 'models/albert-mini/variants/int8', { data: 'data/sample.csv', rows: 2000 });
 * r.embeddings?.min_cosine; // 0.9993
 * ```
 */
export async function checkVariantAccuracy(baseDir: string, variantDir: string, outputs: ReadonlyArray<{ name: string; rank: number }>, o: VariantCheckOptions): Promise<VariantReport> {
  const t0 = Date.now();
  const log = o.onProgress ?? (() => {});
  const device = o.device ?? 'cpu';
  const work = mkdtempSync(join(tmpdir(), 'albert-variant-check-'));
  try {
    // The base graph with the variant's config and tokenizer: only the graphs differ (and a
    // base without a tokenizer of its own, like the HF fixtures, runs at all).
    const base = join(work, 'base-model');
    mkdirSync(base);
    symlinkSync(resolve(baseDir, 'model.onnx'), join(base, 'model.onnx'));
    for (const f of ['config.json', 'tokenizer.json', 'spiece.model', 'tokenizer_config.json', 'special_tokens_map.json']) {
      if (existsSync(join(variantDir, f))) copyFileSync(join(variantDir, f), join(base, f));
    }
    const sample = join(work, 'sample.csv');
    const subset = await writeCorpusSubset(o.data, sample, o.rows);
    let runs = 0;
    const both = async (task: TaskDefinition, input: string, extra: Record<string, unknown> = {}): Promise<[Table, Table]> => {
      const run = async (model: string, tag: string): Promise<Table> => {
        const out = join(work, `${task.name}-${tag}-${runs++}`);
        log(`${task.name}: ${tag} on ${input === sample ? `${subset.rows} rows of ${o.data}` : input}`);
        await runJob(task, { input, out, model, device, quiet: true, ...extra });
        return readParts(out);
      };
      return [await run(base, 'base'), await run(variantDir, 'variant')];
    };
    const has = (name: string, rank: number): boolean => outputs.some((x) => x.name === name && x.rank === rank);
    const checks: CheckFigure[] = [];
    const check = (name: string, value: number, ok: boolean, target: string): void => {
      checks.push({ name, value: round(value), target, passed: ok });
    };

    let embeddings: VariantReport['embeddings'] = null;
    if (has('last_hidden_state', 3)) {
      const [a, b] = await both(embedTask, sample, { pooling: 'mean' });
      embeddings = cosines(vectors(a, 'embedding'), vectors(b, 'embedding'));
      check('min_cosine', embeddings.min_cosine, embeddings.min_cosine >= ACCURACY_TARGETS.minCosine, `>= ${ACCURACY_TARGETS.minCosine}`);
      check('mean_cosine', embeddings.mean_cosine, embeddings.mean_cosine >= ACCURACY_TARGETS.meanCosine, `>= ${ACCURACY_TARGETS.meanCosine}`);
    }
    let labels: VariantReport['labels'] = null;
    let labelledRows: number | null = null;
    if (has('logits', 2)) {
      const [a, b] = await both(labelTask, sample);
      const la = column(a, 'label');
      const lb = column(b, 'label');
      const agreement = la.filter((l, i) => l === lb[i]).length / Math.max(1, la.length);
      let accA: number | null = null;
      let accB: number | null = null;
      if (o.labelled) {
        const gold = goldLabels(o.labelled, o.labelColumn ?? 'label');
        labelledRows = gold.size;
        const [ga, gb] = await both(labelTask, o.labelled);
        accA = accuracy(ga, gold);
        accB = accuracy(gb, gold);
        check('accuracy_drop', accA - accB, accA - accB <= ACCURACY_TARGETS.accuracyDrop, `<= ${ACCURACY_TARGETS.accuracyDrop}`);
      }
      labels = { rows: la.length, agreement: round(agreement), accuracy_fp32: accA === null ? null : round(accA), accuracy_variant: accB === null ? null : round(accB) };
      check('label_agreement', agreement, agreement >= ACCURACY_TARGETS.labelAgreement, `>= ${ACCURACY_TARGETS.labelAgreement}`);
    }
    let fillMask: VariantReport['fill_mask'] = null;
    if (has('logits', 3) || outputs.some((x) => x.name === 'prediction_logits')) {
      const masked = join(work, 'masked.csv');
      writeMaskedCorpus(sample, masked);
      const [a, b] = await both(fillMaskTask, masked, { topK: 1 });
      const ta = topTokens(a);
      const tb = topTokens(b);
      let same = 0;
      let total = 0;
      for (const [id, tok] of ta) {
        total++;
        if (tb.get(id) === tok) same++;
      }
      fillMask = { masks: total, top1_agreement: round(same / Math.max(1, total)) };
      check('fill_mask_top1_agreement', fillMask.top1_agreement, fillMask.top1_agreement >= ACCURACY_TARGETS.fillMaskTop1, `>= ${ACCURACY_TARGETS.fillMaskTop1}`);
    }
    return {
      format: 'albert-variant-report/1',
      variant: variantDir,
      base: baseDir,
      date: new Date().toISOString(),
      device,
      data: { path: o.data, rows: subset.rows, labelled: o.labelled ?? null, labelled_rows: labelledRows },
      embeddings,
      labels,
      fill_mask: fillMask,
      checks,
      passed: checks.length > 0 && checks.every((c) => c.passed),
      elapsed_s: Math.round((Date.now() - t0) / 100) / 10,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The report in one line: `min cosine 0.9991, mean cosine 0.9998 (passed)`. */
export function summarizeReport(r: VariantReport): string {
  const parts = r.checks.map((c) => `${c.name.replace(/_/g, ' ')} ${c.value}${c.passed ? '' : ` (target ${c.target}: missed)`}`);
  return `${parts.join(', ') || 'nothing comparable'}; ${r.passed ? 'passed' : 'not passed'}`;
}

function readParts(out: string): Table {
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { parts: Array<{ file: string }> };
  const tables = manifest.parts.map((p) => tableFromIPC(readFileSync(join(out, p.file))));
  return tables.reduce((x, y) => x.concat(y));
}

function column(t: Table, name: string): string[] {
  return t.getChild(name)!.toArray() as string[];
}

function vectors(t: Table, name: string): Float32Array[] {
  const col = t.getChild(name)!;
  return Array.from({ length: col.length }, (_, i) => Float32Array.from(col.get(i) as Iterable<number>));
}

function cosines(a: Float32Array[], b: Float32Array[]): NonNullable<VariantReport['embeddings']> {
  const width = a[0]?.length ?? 0;
  const flat = (rows: Float32Array[]): Float32Array => {
    const out = new Float32Array(rows.length * width);
    rows.forEach((r, i) => out.set(r, i * width));
    return out;
  };
  const g = vectorAgreement(flat(a), flat(b), width, 0.99);
  return { rows: g.rows, min_cosine: round(g.min_cosine), mean_cosine: round(g.mean_cosine), rows_below_0_99: g.rows_below, worst_row: g.worst_row };
}

function goldLabels(file: string, labelColumn: string): Map<string, string> {
  const recs = parseCsv(readFileSync(file), { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
  return new Map(recs.map((r, i) => [r.id ?? String(i), r[labelColumn] ?? '']));
}

function accuracy(t: Table, gold: Map<string, string>): number {
  const ids = column(t, 'id');
  const labels = column(t, 'label');
  return ids.filter((id, i) => gold.get(id) === labels[i]).length / Math.max(1, ids.length);
}

function topTokens(t: Table): Map<string, number> {
  const ids = column(t, 'id');
  const preds = t.getChild('predictions')!;
  const out = new Map<string, number>();
  ids.forEach((id, i) => {
    const list = preds.get(i) as { get(j: number): { token_id: number } | null; length: number } | null;
    const first = list && list.length > 0 ? list.get(0) : null;
    if (first) out.set(id, first.token_id);
  });
  return out;
}

/** One word per row (a seeded choice among its first 40) replaced by [MASK]. */
function writeMaskedCorpus(sample: string, out: string): void {
  const recs = parseCsv(readFileSync(sample), { columns: true, skip_empty_lines: true }) as Array<{ id: string; text: string }>;
  let seed = 12345;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const lines = ['id,text'];
  for (const r of recs) {
    const words = r.text.split(' ');
    const candidates = words.slice(0, 40).map((w, i) => (/^[A-Za-z]{3,}$/.test(w) ? i : -1)).filter((i) => i >= 0);
    if (candidates.length === 0) continue;
    words[candidates[Math.floor(next() * candidates.length)]] = '[MASK]';
    lines.push(`${csvField(r.id)},${csvField(words.join(' '))}`);
  }
  writeFileSync(out, `${lines.join('\n')}\n`);
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
