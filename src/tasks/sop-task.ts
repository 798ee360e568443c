import { Bool, Field, Float32, Schema, Utf8 } from 'apache-arrow';
import { ModelError } from '../errors.js';
import { lastDim, requireOutput } from '../model/model-spec.js';
import { boolData, fixedSizeFloat32Data, fixedSizeListType, float32Data, recordBatch, schemaMetadata, utf8Data } from './arrow-columns.js';
import { classifyHead, type ClassifyColumns } from './classify-head.js';
import { commonMetadata, type TaskDefinition } from './task.js';

/**
 * `albert sop`: ALBERT's sentence-order prediction on pairs (a, b). Class 0 means "b follows
 * a" (in order), class 1 "swapped", as in HF's AlbertForPreTraining. Columns `id`,
 * `in_order` (argmax is class 0), `score` (probability of in order) and `probs` (all
 * classes; the width comes from the model, since not every SOP head has 2).
 */
export const sopTask: TaskDefinition<Readonly<Record<string, never>>, ClassifyColumns> = {
  name: 'sop',
  description: 'sentence-order prediction on pairs (a, b); writes id, in_order, score, probs',
  example: '  albert sop pairs.csv --text-a-column first --text-b-column second --out out/sop',
  defaultModel: 'albert-mini-sop',
  requiresPairs: true,
  options: {
    textAColumn: { flag: '--text-a-column <name>', help: 'column holding the first segment (same as --text-column)', alias: 'textColumn' },
  },
  resolveOptions: () => Object.freeze({}),
  fingerprint: () => ({}),

  plan(ctx) {
    const io = requireOutput(ctx.spec, 'sop', 'sop_logits', 'Pass a model exported with the pretraining heads, e.g. `albert convert <hf-folder> <out> --task pretraining` (the bundled one is models/albert-mini-sop).');
    const W = lastDim(io);
    if (!W || W < 2) throw new ModelError('ALB_MODEL_TASK_UNSUPPORTED', `model ${ctx.spec.name}: sop_logits has shape [${io.shape.join(', ')}]; expected [batch, classes >= 2]`, { model: ctx.spec.name });
    const schema = new Schema(
      [
        new Field('id', new Utf8(), false),
        new Field('in_order', new Bool(), false),
        new Field('score', new Float32(), false),
        new Field('probs', fixedSizeListType(W), false),
      ],
      schemaMetadata({ ...commonMetadata(ctx, 'sop', 'sop_logits'), 'albert.sop_classes': W, 'albert.sop_in_order_class': 0 }),
    );
    const inOrder = (p: Float32Array, off: number) => {
      for (let j = 1; j < W; j++) if (p[off + j] > p[off]) return false;
      return true;
    };
    return {
      head: classifyHead('sop_logits', { activation: 'softmax' }),
      schema,
      build(rows) {
        const n = rows.length;
        const probs = new Float32Array(n * W);
        rows.forEach((r, i) => probs.set(r.response.columns.probs.subarray(r.index * W, (r.index + 1) * W), i * W));
        const flags = rows.map((_, i) => inOrder(probs, i * W));
        const score = Float32Array.from(rows, (_, i) => probs[i * W]);
        return recordBatch(schema, [utf8Data(rows.map((r) => r.id)), boolData(flags), float32Data(score), fixedSizeFloat32Data(probs, W)], n);
      },
      tally(rows, counts) {
        for (const r of rows) {
          const key = inOrder(r.response.columns.probs, r.index * W) ? 'in_order' : 'swapped';
          counts[key] = (counts[key] ?? 0) + 1;
        }
      },
    };
  },
};
