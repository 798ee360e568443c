import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
// Worker threads run compiled JavaScript, so jobs run from dist/ (npm test builds first).
import { predictHead, trainHead, validateManifest, type TrainHeadResult } from '../../dist/src/index.js';
import { decodeOnnxModel } from '../../dist/src/model/onnx-proto.js';
import { cleanup, readManifestJson, readOutput, runCli, tempDir, vectors } from '../helpers/cli.js';
import { labelledSample, writeLabelledCsv, type LabelledRow } from '../helpers/labelled.js';

/**
 * train-head → label → evaluate with the bundled albert-mini, on 150 paragraphs of
 * data/sample.csv labelled by keywords (test/helpers/labelled.ts): no ../shared needed.
 */
let dir: string;
let file: string;
let rows: LabelledRow[];
let trained: TrainHeadResult;
const FAST = ['--folds', '3', '--l2', '0.01,0.1,1'];

beforeAll(async () => {
  dir = tempDir('albert-train-');
  rows = labelledSample(30);
  // One row without a text and one without a label: both must be accounted for, not trained on.
  file = writeLabelledCsv(join(dir, 'labelled.csv'), [...rows, { id: 'no-text', text: '', label: 'docs' }, { id: 'no-label', text: 'a paragraph nobody labelled', label: '' }]);
  trained = await trainHead({ input: file, out: join(dir, 'model-lib'), folds: 3, l2: [0.01, 0.1, 1], quiet: true });
});

afterAll(() => cleanup(dir));

describe('albert train-head', () => {
  test('writes a classifier folder: config with id2label/label2id, tokenizer, report and the rows left out', () => {
    const out = join(dir, 'model-lib');
    for (const f of ['model.onnx', 'config.json', 'tokenizer.json', 'spiece.model', 'training-report.json', 'training-rejects.jsonl']) expect(existsSync(join(out, f))).toBe(true);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['AlbertForSequenceClassification']);
    expect(config.id2label).toEqual({ 0: 'changelog', 1: 'code', 2: 'docs', 3: 'license', 4: 'readme' });
    expect(config.label2id.readme).toBe(4);
    expect(config.problem_type).toBe('single_label_classification');
    const report = JSON.parse(readFileSync(join(out, 'training-report.json'), 'utf8'));
    expect(report.rows).toEqual({ read: 152, used: 150, not_used: 2, not_used_by_code: { ALB_ROW_EMPTY_TEXT: 1, ALB_ROW_MISSING_LABEL: 1 } });
    expect(report.classes.map((c: { rows: number }) => c.rows)).toEqual([30, 30, 30, 30, 30]);
    expect(report.cross_validation.by_l2.map((c: { l2: number }) => c.l2)).toEqual([1, 0.1, 0.01]);
    expect(report.cross_validation.chosen.accuracy.mean).toBeGreaterThan(0.5); // 5 classes: chance is 0.2
    expect(report.cross_validation.chosen.accuracy.std).toBeGreaterThanOrEqual(0);
    expect(report.timings_s.total).toBeGreaterThan(0);
    expect(report.final_stop_reason).toBe(trained.fit.stopReason);
    expect(report.final_stop_reason).not.toBe('line-search');
    // No --max-length: the base model's maximum, recorded so that albert label cuts rows the same way.
    expect(report.head.max_length).toBe(512);
    expect(config.albert_pipeline_head.max_length).toBe(512);
    const rejects = readFileSync(join(out, 'training-rejects.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejects.map((r) => [r.id, r.code])).toEqual([['no-text', 'ALB_ROW_EMPTY_TEXT'], ['no-label', 'ALB_ROW_MISSING_LABEL']]);
    // Only logits leave the session: the encoder's outputs are gone from the graph.
    const graph = decodeOnnxModel(readFileSync(join(out, 'model.onnx'))).graph;
    expect(graph.output.map((o) => o.name)).toEqual(['logits']);
    expect(graph.initializer.some((t) => t.name === 'head/std')).toBe(true);
  });

  test('the same input and seed give a byte-identical model.onnx (CLI and library)', async () => {
    const r = await runCli(['train-head', file, '--out', join(dir, 'model-cli'), ...FAST, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const a = readFileSync(join(dir, 'model-lib', 'model.onnx'));
    const b = readFileSync(join(dir, 'model-cli', 'model.onnx'));
    expect(b.equals(a)).toBe(true);
    const other = await runCli(['train-head', file, '--out', join(dir, 'model-seed2'), ...FAST, '--seed', '2', '--quiet']);
    expect(other.code).toBe(0);
    expect(readFileSync(join(dir, 'model-seed2', 'model.onnx')).equals(a)).toBe(false);
  });

  test('albert label with the folder gives the probabilities of the TypeScript head on albert embed\'s embeddings', async () => {
    const emb = join(dir, 'emb');
    const lab = join(dir, 'lab');
    expect((await runCli(['embed', file, '--out', emb, '--quiet'])).code).toBe(0);
    expect((await runCli(['label', file, '--model', join(dir, 'model-lib'), '--out', lab, '--quiet'])).code).toBe(0);
    const embedded = readOutput(emb);
    const labelled = readOutput(lab);
    expect(labelled.numRows).toBe(151); // the row without a text is rejected, the unlabelled one is labelled
    const x = vectors(embedded, 'embedding');
    const n = x.length;
    const flat = new Float32Array(n * x[0].length);
    x.forEach((v, i) => flat.set(v, i * v.length));
    const expected = predictHead(trained.fit.head, flat, n);
    const probs = vectors(labelled, 'probs');
    let worst = 0;
    probs.forEach((p, i) => p.forEach((v, c) => (worst = Math.max(worst, Math.abs(v - expected[i * 5 + c])))));
    expect(worst).toBeLessThan(1e-5);
    expect(JSON.parse(labelled.schema.metadata.get('albert.labels')!)).toEqual(trained.report.classes.map((c) => c.label));
  });

  test('albert evaluate on the trained folder agrees with albert label, and draws its confusion matrix', async () => {
    const out = join(dir, 'eval');
    const r = await runCli(['evaluate', file, '--model', join(dir, 'model-lib'), '--out', out, '--min-score', '0.6']);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'evaluation.json'), 'utf8'));
    const labelled = readOutput(join(dir, 'lab'));
    const truth = new Map(rows.map((row) => [row.id, row.label]));
    let right = 0;
    let n = 0;
    for (let i = 0; i < labelled.numRows; i++) {
      const t = truth.get(labelled.getChild('id')!.get(i));
      if (t === undefined) continue;
      n++;
      if (labelled.getChild('label')!.get(i) === t) right++;
    }
    expect(report.rows).toMatchObject({ read: 152, evaluated: 150, not_evaluated: 2 });
    expect(report.metrics.accuracy).toBeCloseTo(right / n, 12);
    expect(report.metrics.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(150);
    expect(report.min_score_table.find((t: { minScore: number }) => t.minScore === 0.6)).toBeDefined();
    const svg = readFileSync(join(out, 'confusion-matrix.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const l of ['changelog', 'code', 'docs', 'license', 'readme']) expect(svg).toContain(`>${l}</text>`);
    const mistakes = readFileSync(join(out, 'misclassified.jsonl'), 'utf8').trim().split('\n').filter(Boolean);
    expect(mistakes.length).toBe(150 - right);
  });

  test('--multi-label: sigmoid outputs, and albert label takes the folder as multi-label without being told', async () => {
    const multi = rows.map((r) => ({ ...r, label: r.text.length < 120 ? `${r.label}|short` : r.label }));
    const mfile = writeLabelledCsv(join(dir, 'multi.csv'), multi);
    const out = join(dir, 'model-multi');
    const r = await runCli(['train-head', mfile, '--out', out, '--multi-label', ...FAST, '--quiet']);
    expect(r.code).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.problem_type).toBe('multi_label_classification');
    expect(Object.values(config.id2label)).toContain('short');
    const lab = join(dir, 'lab-multi');
    expect((await runCli(['label', mfile, '--model', out, '--out', lab, '--quiet'])).code).toBe(0);
    const t = readOutput(lab);
    expect(t.schema.metadata.get('albert.activation')).toBe('sigmoid');
    expect(t.getChild('labels')).not.toBeNull();
    const ev = await runCli(['evaluate', mfile, '--model', out, '--out', join(dir, 'eval-multi'), '--quiet']);
    expect(ev.code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'eval-multi', 'evaluation.json'), 'utf8'));
    expect(report.multi_label).toBe(true);
    expect(report.metrics.labels.find((l: { label: string }) => l.label === 'short').support).toBe(multi.filter((m) => m.label.endsWith('|short')).length);
    expect(existsSync(join(dir, 'eval-multi', 'label-scores.svg'))).toBe(true);
  });

  test('data that cannot train a head fails before embedding, naming what is wrong', async () => {
    const one = writeLabelledCsv(join(dir, 'one-class.csv'), rows.map((r) => ({ ...r, label: 'docs' })));
    let r = await runCli(['train-head', one, '--out', join(dir, 'x1')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ALB_TRAIN_DATA_INVALID: cannot train a head: one class only/);
    const few = writeLabelledCsv(join(dir, 'few.csv'), [...rows.filter((r) => r.label === 'docs' || r.label === 'code'), { ...rows[0], id: 'rare', label: 'rare' }]);
    r = await runCli(['train-head', few, '--out', join(dir, 'x2')]);
    expect(r.stderr).toMatch(/class "rare" \(1 row\) in the input has fewer rows than --folds 5/);
    r = await runCli(['train-head', file, '--out', join(dir, 'x3'), '--label-column', 'category']);
    expect(r.stderr).toMatch(/ALB_INPUT_MISSING_COLUMN: .*"category" \(--label-column\)/);
    r = await runCli(['train-head', file, '--out', join(dir, 'model-lib')]);
    expect(r.stderr).toMatch(/ALB_OUTPUT_NOT_EMPTY: --out .* pass --overwrite/);
    r = await runCli(['train-head', '-', '--out', join(dir, 'x4'), '--format', 'csv'], { stdin: readFileSync(file) });
    expect(r.stderr).toMatch(/ALB_OPTION_INVALID: .*stdin can be read only once/);
    const txt = join(dir, 'plain.txt');
    writeFileSync(txt, rows.map((row) => row.text).join('\n'));
    r = await runCli(['train-head', txt, '--out', join(dir, 'x5')]);
    expect(r.stderr).toMatch(/ALB_INPUT_MISSING_COLUMN: input .*plain.txt" is plain text .*no label column "label" \(--label-column\)/);
    for (const d of ['x1', 'x2', 'x3', 'x4', 'x5']) expect(existsSync(join(dir, d))).toBe(false);
  });

  test('--max-length: config.json and the report record it, and albert label on the folder defaults to it', async () => {
    const out = join(dir, 'model-32');
    const r = await trainHead({ input: file, out, maxLength: 32, folds: 3, l2: 0.1, quiet: true });
    expect(r.report.head.max_length).toBe(32);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.albert_pipeline_head.max_length).toBe(32);
    expect(JSON.parse(readFileSync(join(out, 'training-report.json'), 'utf8')).head.max_length).toBe(32);
    // Without --max-length, label cuts rows where the head was trained; an explicit one still wins.
    expect((await runCli(['label', file, '--model', out, '--out', join(dir, 'lab-32'), '--quiet'])).code).toBe(0);
    expect(readManifestJson(join(dir, 'lab-32')).fingerprint.max_length).toBe(32);
    expect((await runCli(['label', file, '--model', out, '--out', join(dir, 'lab-64'), '--max-length', '64', '--quiet'])).code).toBe(0);
    expect(readManifestJson(join(dir, 'lab-64')).fingerprint.max_length).toBe(64);
    // So label's probabilities are the head's on embeddings of rows cut at 32 tokens.
    expect((await runCli(['embed', file, '--out', join(dir, 'emb-32'), '--max-length', '32', '--quiet'])).code).toBe(0);
    const x = vectors(readOutput(join(dir, 'emb-32')), 'embedding');
    const flat = new Float32Array(x.length * x[0].length);
    x.forEach((v, i) => flat.set(v, i * v.length));
    const expected = predictHead(r.fit.head, flat, x.length);
    let worst = 0;
    vectors(readOutput(join(dir, 'lab-32')), 'probs').forEach((p, i) => p.forEach((v, c) => (worst = Math.max(worst, Math.abs(v - expected[i * 5 + c])))));
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('albert label --min-score', () => {
  test('writes label = null below the score, the manifest counts those rows, and evaluate on albert-mini-cls reproduces label\'s accuracy', async () => {
    const out = join(dir, 'min-score');
    const r = await runCli(['label', file, '--out', out, '--min-score', '0.9', '--quiet']);
    expect(r.code).toBe(0);
    const t = readOutput(out);
    const label = t.getChild('label')!;
    const score = t.getChild('score')!;
    let nulls = 0;
    for (let i = 0; i < t.numRows; i++) {
      if (label.get(i) === null) {
        nulls++;
        expect(score.get(i)).toBeLessThan(0.9);
      } else {
        expect(score.get(i)).toBeGreaterThanOrEqual(0.9);
      }
    }
    const m = readManifestJson(out);
    expect(nulls).toBeGreaterThan(0);
    expect(m.counts.below_min_score).toBe(nulls);
    // Per-label counts and below_min_score add up to the rows written; long.* counts (every task's) are apart.
    const labelCounts = Object.entries(m.counts as Record<string, number>).filter(([k]) => !k.startsWith('long.'));
    expect(labelCounts.reduce((a, [, b]) => a + b, 0)).toBe(m.rows_out);
    expect(m.fingerprint.min_score).toBe(0.9);
    expect(() => validateManifest(m, 'manifest.json')).not.toThrow();
    expect(t.schema.fields.find((f) => f.name === 'label')!.nullable).toBe(true);

    // evaluate on the bundled albert-mini-cls (its default model) reproduces label's accuracy.
    const ev = await runCli(['evaluate', file, '--out', join(dir, 'eval-cls'), '--quiet']);
    expect(ev.code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'eval-cls', 'evaluation.json'), 'utf8'));
    expect(report.model.name).toBe('albert-mini-cls');
    const names = JSON.parse(t.schema.metadata.get('albert.labels')!) as string[];
    const truth = new Map(rows.map((row) => [row.id, row.label]));
    let right = 0;
    let n = 0;
    vectors(t, 'probs').forEach((p, i) => {
      const want = truth.get(t.getChild('id')!.get(i));
      if (want === undefined) return;
      n++;
      if (names[p.indexOf(Math.max(...p))] === want) right++;
    });
    expect(report.metrics.accuracy).toBeCloseTo(right / n, 12);
    expect(report.metrics.confusion).toHaveLength(5);
    expect(existsSync(join(dir, 'eval-cls', 'confusion-matrix.svg'))).toBe(true);
  });
});
