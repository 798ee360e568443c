import { Field, Float32, List, Schema, Struct, Utf8, type Data } from 'apache-arrow';
import { ModelError, optionError } from '../errors.js';
import { boolOption } from '../options.js';
import { classifyHead, type ClassifyColumns } from './classify-head.js';
import { lastDim, requireOutput } from '../model/model-spec.js';
import { topK } from '../model/activations.js';
import { fixedSizeFloat32Data, fixedSizeListType, float32Data, listData, recordBatch, schemaMetadata, structData, utf8Data } from './arrow-columns.js';
import { rowValues } from './chunk-merge.js';
import { commonMetadata, type TaskDefinition } from './task.js';

export interface LabelTaskOptions {
  /**
   * Sigmoid per label instead of softmax; adds a `labels` column (those above `threshold`).
   * Default: as the model's config.json says (`problem_type: multi_label_classification`).
   */
  multiLabel?: boolean;
  /** Probability above which a label is in `labels` (multi-label only; default 0.5). */
  threshold?: number;
  /** Adds a `top_k` column of the k most probable (label, score) pairs. */
  topK?: number;
  /** Rows whose best score is below this get `label = null`; the manifest counts them as `below_min_score`. */
  minScore?: number;
}

export interface ResolvedLabelTaskOptions {
  /** Null: as the model's config.json says. */
  readonly multiLabel: boolean | null;
  readonly threshold: number;
  readonly topK: number | null;
  readonly minScore: number | null;
}

/** The manifest's count of rows `--min-score` left without a label. */
export const BELOW_MIN_SCORE = 'below_min_score';

const topKField = new Field('item', new Struct([new Field('label', new Utf8(), false), new Field('score', new Float32(), false)]), false);

/**
 * `albert label`: sequence classification. Columns `id`, `label`, `score`, `probs`
 * (+ `labels` with --multi-label, + `top_k` with --top-k). The schema metadata carries the
 * label names; the manifest counts rows per predicted label.
 */
export const labelTask: TaskDefinition<ResolvedLabelTaskOptions, ClassifyColumns> = {
  name: 'label',
  description: 'classify each row; writes id, label, score, probs (+ labels, top_k)',
  example: '  albert label data/sample.csv --out out/labels --top-k 2',
  defaultModel: 'albert-mini-cls',
  requiresPairs: false,
  options: {
    multiLabel: { flag: '--multi-label', help: 'sigmoid per label; adds `labels` (those above --threshold)' },
    threshold: { flag: '--threshold <p>', help: 'probability above which a label is in `labels` (default: 0.5)', parse: 'float' },
    topK: { flag: '--top-k <k>', help: 'add a `top_k` column of the k most probable labels', parse: 'int' },
    minScore: { flag: '--min-score <s>', help: 'write label = null where the best score is below s (counted in the manifest as below_min_score)', parse: 'float' },
  },

  resolveOptions(o) {
    const multiLabel = o.multiLabel === undefined ? null : boolOption('--multi-label', o.multiLabel, false);
    const threshold = o.threshold ?? 0.5;
    if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) throw optionError('--threshold', threshold, 'a probability from 0 to 1');
    const k = o.topK ?? null;
    if (k !== null && (typeof k !== 'number' || !Number.isInteger(k) || k < 1)) throw optionError('--top-k', k, 'a positive integer');
    const minScore = o.minScore ?? null;
    if (minScore !== null && (typeof minScore !== 'number' || !(minScore >= 0 && minScore <= 1))) throw optionError('--min-score', minScore, 'a probability from 0 to 1');
    return Object.freeze({ multiLabel, threshold, topK: k as number | null, minScore: minScore as number | null });
  },

  // Unset --multi-label is the model's choice, and the model's sha256 is fingerprinted already.
  fingerprint: (o) => ({ multi_label: o.multiLabel ?? false, threshold: o.threshold, top_k: o.topK, ...(o.minScore !== null ? { min_score: o.minScore } : {}) }),

  plan(ctx, resolved) {
    const o = { ...resolved, multiLabel: resolved.multiLabel ?? ctx.spec.problemType === 'multi_label_classification' };
    const io = requireOutput(ctx.spec, 'label', 'logits', 'Pass a sequence-classification model (architectures AlbertForSequenceClassification), e.g. models/albert-mini-cls.');
    if (io.shape.length !== 2) {
      throw new ModelError('ALB_MODEL_TASK_UNSUPPORTED', `model ${ctx.spec.name}: output logits has shape [${io.shape.join(', ')}], a per-token head (masked LM?); \`label\` needs sequence-classification logits [batch, num_labels]. Use \`albert fill-mask\` for masked-LM models.`, { model: ctx.spec.name, task: 'label' });
    }
    const L = lastDim(io) ?? ctx.spec.labels?.length;
    if (!L) throw new ModelError('ALB_MODEL_TASK_UNSUPPORTED', `model ${ctx.spec.name}: cannot tell the number of labels (logits shape [${io.shape.join(', ')}], no id2label in config.json)`, { model: ctx.spec.name });
    const names = ctx.spec.labels && ctx.spec.labels.length === L ? [...ctx.spec.labels] : Array.from({ length: L }, (_, i) => `LABEL_${i}`);
    if (o.minScore !== null && names.includes(BELOW_MIN_SCORE)) {
      throw new ModelError('ALB_MODEL_TASK_UNSUPPORTED', `model ${ctx.spec.name} has a label named ${JSON.stringify(BELOW_MIN_SCORE)}, the manifest's count of rows below --min-score; rename that label to use --min-score`, { model: ctx.spec.name });
    }
    const fields: Field[] = [
      new Field('id', new Utf8(), false),
      // Nullable only with --min-score, so outputs made without it keep their schema.
      new Field('label', new Utf8(), o.minScore !== null),
      new Field('score', new Float32(), false),
      new Field('probs', fixedSizeListType(L), false),
    ];
    const labelItem = new Field('item', new Utf8(), false);
    if (o.multiLabel) fields.push(new Field('labels', new List(labelItem), false));
    if (o.topK !== null) fields.push(new Field('top_k', new List(topKField), false));
    const schema = new Schema(
      fields,
      schemaMetadata({
        ...commonMetadata(ctx, 'label', 'logits'),
        'albert.labels': names,
        'albert.activation': o.multiLabel ? 'sigmoid' : 'softmax',
        ...(o.multiLabel ? { 'albert.threshold': o.threshold } : {}),
        ...(o.minScore !== null ? { 'albert.min_score': o.minScore } : {}),
      }),
    );
    const k = Math.min(o.topK ?? 0, L);

    const decide = (probs: Float32Array, off: number) => {
      const best = topK(probs, off, L, Math.max(k, 1));
      const above: string[] = [];
      if (o.multiLabel) for (let j = 0; j < L; j++) if (probs[off + j] > o.threshold) above.push(names[j]);
      return { best, above };
    };

    return {
      head: classifyHead('logits', { activation: o.multiLabel ? 'sigmoid' : 'softmax' }),
      schema,
      // --long split: a document's probabilities are its windows', averaged by their tokens.
      mergesChunks: true,
      build(rows) {
        const n = rows.length;
        const probs = new Float32Array(n * L);
        const label: Array<string | null> = [];
        const score = new Float32Array(n);
        const labelsFlat: string[] = [];
        const labelsCount = new Int32Array(n);
        const kLabels: string[] = [];
        const kScores = new Float32Array(n * k);
        rows.forEach((r, i) => {
          rowValues(r, 'probs', L, probs, i * L);
          const { best, above } = decide(probs, i * L);
          score[i] = probs[i * L + best[0]];
          label.push(o.minScore !== null && score[i] < o.minScore ? null : names[best[0]]);
          labelsFlat.push(...above);
          labelsCount[i] = above.length;
          for (let j = 0; j < k; j++) {
            kLabels.push(names[best[j]]);
            kScores[i * k + j] = probs[i * L + best[j]];
          }
        });
        const children: Data[] = [utf8Data(rows.map((r) => r.id)), utf8Data(label), float32Data(score), fixedSizeFloat32Data(probs, L)];
        if (o.multiLabel) children.push(listData(utf8Data(labelsFlat), labelsCount, labelItem));
        if (o.topK !== null) {
          const st = structData((topKField.type as Struct).children, [utf8Data(kLabels), float32Data(kScores)], n * k);
          children.push(listData(st, new Int32Array(n).fill(k), topKField));
        }
        return recordBatch(schema, children, n);
      },
      tally(rows, counts) {
        const probs = new Float32Array(L);
        for (const r of rows) {
          rowValues(r, 'probs', L, probs, 0);
          const { best, above } = decide(probs, 0);
          // Compared as the float32 the label column is built from, so counts and column agree.
          if (o.minScore !== null && probs[best[0]] < o.minScore) {
            counts[BELOW_MIN_SCORE] = (counts[BELOW_MIN_SCORE] ?? 0) + 1;
            if (!o.multiLabel) continue;
          }
          for (const name of o.multiLabel ? above : [names[best[0]]]) counts[name] = (counts[name] ?? 0) + 1;
        }
      },
    };
  },
};

