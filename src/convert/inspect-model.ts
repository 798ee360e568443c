/**
 * `albert inspect`: what a model folder holds — architecture and sizes, parameter
 * count (shared weights once), heads, ONNX inputs/outputs, tokenizer summary.
 * Works on HF checkpoint folders (safetensors) and converted ones (model.onnx).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelError } from '../errors.js';
import { parseAlbertConfig, type AlbertConfig } from '../model/albert-config.js';
import { detectHeads, taskFromArchitectures, type AlbertTask } from './albert-weights.js';
import { decodeOnnxModel, defaultOpsetVersion, valueInfoShape } from '../model/onnx-proto.js';
import { opHistogram } from '../model/onnx-graph-view.js';
import { graphPrecision } from './graph-variant.js';
import { describeVariant, listVariants, readModelVariant, type ModelVariant } from './model-variant.js';
import { countAlbertParameters, countOnnxParameters, type AlbertHeadsSpec, type AlbertParameterCount } from './param-count.js';
import { parseSentencePieceModel } from '../model/sentencepiece-proto.js';
import { SafetensorsFile } from './safetensors-reader.js';
import { parseJsonText } from '../io/json-text.js';

export interface TensorSummary { readonly name: string; readonly type: string; readonly dims: ReadonlyArray<number | string> }

export interface ModelInspection {
  readonly dir: string;
  readonly files: readonly string[];
  readonly config?: AlbertConfig & { readonly task: AlbertTask | undefined };
  readonly heads: { readonly pooler: boolean; readonly mlm: boolean; readonly classifierLabels?: number; readonly sopLabels?: number; readonly from: string };
  readonly parameters: { readonly fromConfig?: AlbertParameterCount; readonly onnx?: number; readonly safetensors?: number };
  readonly onnx?: {
    readonly bytes: number; readonly irVersion: number; readonly opset: number; readonly producer: string;
    readonly inputs: readonly TensorSummary[]; readonly outputs: readonly TensorSummary[];
    readonly nodes: number; readonly initializerTypes: Readonly<Record<string, number>>;
    /** Nodes per op type (`com.microsoft:Attention` for contrib ops). */
    readonly ops: Readonly<Record<string, number>>;
  };
  /** fp32/fp16/int8, fused or not: from variant.json, else read off the graph. */
  readonly variant?: {
    readonly name: string; readonly description: string; readonly from: 'variant.json' | 'the graph';
    readonly record: ModelVariant | null;
  };
  /** The folder's variants (`variants/<name>/`), for `--variant`. */
  readonly variants: ReadonlyArray<{ readonly name: string; readonly dir: string; readonly description: string; readonly accuracy: string }>;
  readonly tokenizer?: {
    readonly file: string; readonly model: string; readonly vocabSize: number;
    readonly specialTokens: ReadonlyArray<{ readonly content: string; readonly id: number }>;
    readonly normalizers: readonly string[];
  };
}

const TYPE_NAMES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64', 16: 'bfloat16' };

/**
 * Reads what a model folder holds.
 *
 * @throws ModelError `ALB_MODEL_NOT_FOUND` when `dir` is not a folder
 * @example
 * ```ts
 * const info = await inspectModelFolder('models/albert-mini-sop');
 * info.onnx?.outputs.map((o) => o.name); // ['prediction_logits', 'sop_logits']
 * ```
 */
export async function inspectModelFolder(dir: string): Promise<ModelInspection> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ModelError('ALB_MODEL_NOT_FOUND', `${dir}: no such model folder`, { got: dir });
  }
  const files = readdirSync(dir).sort();
  const has = (f: string): boolean => files.includes(f);

  let config: ModelInspection['config'];
  if (has('config.json')) {
    const file = join(dir, 'config.json');
    const c = parseAlbertConfig(parseJsonText(await readFile(file, 'utf8'), file, 'ALB_MODEL_CONFIG_INVALID'), file);
    let task: AlbertTask | undefined;
    try { task = taskFromArchitectures(c.architectures); } catch { task = undefined; }
    config = { ...c, task };
  }

  let onnx: ModelInspection['onnx'];
  let variant: ModelInspection['variant'];
  let heads: ModelInspection['heads'] = { pooler: false, mlm: false, from: 'nothing (no model.onnx or model.safetensors)' };
  const parameters: { fromConfig?: AlbertParameterCount; onnx?: number; safetensors?: number } = {};
  if (has('model.safetensors')) {
    const st = SafetensorsFile.open(join(dir, 'model.safetensors'));
    try {
      const h = detectHeads(st);
      const labels = (k: string): number | undefined => (st.has(k) ? st.shape(k)[0] : undefined);
      heads = { pooler: h.pooler, mlm: h.mlm, classifierLabels: labels('classifier.weight'), sopLabels: labels('sop_classifier.classifier.weight'), from: 'model.safetensors' };
      parameters.safetensors = st.names()
        // The decoder bias is predictions.bias under another name when both are saved.
        .filter((n) => /^(F|BF)\d/.test(st.dtype(n)) && !(n === 'predictions.decoder.bias' && st.has('predictions.bias')))
        .reduce((a, n) => a + st.shape(n).reduce((x, y) => x * y, 1), 0);
    } finally {
      st.close();
    }
  }
  if (has('model.onnx')) {
    const bytes = await readFile(join(dir, 'model.onnx'));
    const model = decodeOnnxModel(bytes, join(dir, 'model.onnx'));
    const summary = (v: Parameters<typeof valueInfoShape>[0]): TensorSummary => {
      const s = valueInfoShape(v);
      return { name: v.name, type: TYPE_NAMES[s.elemType] ?? `type ${s.elemType}`, dims: s.dims };
    };
    const initializerTypes: Record<string, number> = {};
    for (const t of model.graph.initializer) {
      const name = TYPE_NAMES[t.data_type ?? 0] ?? `type ${t.data_type}`;
      initializerTypes[name] = (initializerTypes[name] ?? 0) + 1;
    }
    onnx = {
      bytes: bytes.length, irVersion: Number(model.ir_version), opset: defaultOpsetVersion(model),
      producer: `${model.producer_name ?? ''} ${model.producer_version ?? ''}`.trim(),
      inputs: model.graph.input.map(summary), outputs: model.graph.output.map(summary),
      nodes: model.graph.node.length, initializerTypes, ops: opHistogram(model),
    };
    const record = readModelVariant(dir);
    const seen = graphPrecision(model);
    variant = record
      ? { name: record.name, description: describeVariant(record), from: 'variant.json', record }
      : { name: seen.fused ? `${seen.precision}-fused` : seen.precision, description: describeVariant({ ...seen, int8_weights: null }), from: 'the graph', record: null };
    parameters.onnx = countOnnxParameters(model);
    if (heads.from.startsWith('nothing')) heads = headsFromOutputs(onnx.outputs);
  }
  if (config) {
    const spec: AlbertHeadsSpec = { pooler: heads.pooler, mlm: heads.mlm, classifierLabels: heads.classifierLabels, sopLabels: heads.sopLabels };
    parameters.fromConfig = countAlbertParameters(config, spec);
  }

  const variants = listVariants(dir).map((v) => ({
    name: v.variant.name, dir: v.dir, description: describeVariant(v.variant),
    accuracy: v.variant.accuracy ? v.variant.accuracy.summary : 'not checked',
  }));
  return Object.freeze({ dir, files, config, heads, parameters, onnx, variant, variants, tokenizer: await tokenizerSummary(dir, has) });
}

/** Heads read off HF-named ONNX outputs. */
function headsFromOutputs(outputs: readonly TensorSummary[]): ModelInspection['heads'] {
  const out = (n: string): TensorSummary | undefined => outputs.find((o) => o.name === n);
  const logits = out('logits');
  const labelsOf = (t: TensorSummary | undefined): number | undefined => (t && typeof t.dims[1] === 'number' ? t.dims[1] : undefined);
  return {
    pooler: out('pooler_output') !== undefined || (logits !== undefined && logits.dims.length === 2) || out('sop_logits') !== undefined,
    mlm: out('prediction_logits') !== undefined || (logits !== undefined && logits.dims.length === 3),
    classifierLabels: logits?.dims.length === 2 ? labelsOf(logits) : undefined,
    sopLabels: labelsOf(out('sop_logits')),
    from: 'model.onnx outputs',
  };
}

async function tokenizerSummary(dir: string, has: (f: string) => boolean): Promise<ModelInspection['tokenizer']> {
  if (has('tokenizer.json')) {
    const file = join(dir, 'tokenizer.json');
    const j = parseJsonText(await readFile(file, 'utf8'), file, 'ALB_MODEL_TOKENIZER_INVALID') as {
      model?: { type?: string; vocab?: unknown[] | Record<string, number> };
      added_tokens?: Array<{ content: string; id: number; special?: boolean }>;
      normalizer?: { type?: string; normalizers?: Array<{ type?: string }> } | null;
    };
    const vocab = j.model?.vocab;
    const normalizer = j.normalizer;
    return {
      file: 'tokenizer.json',
      model: j.model?.type ?? 'unknown',
      vocabSize: Array.isArray(vocab) ? vocab.length : vocab ? Object.keys(vocab).length : 0,
      specialTokens: (j.added_tokens ?? []).filter((t) => t.special !== false).map((t) => ({ content: t.content, id: t.id })),
      normalizers: !normalizer ? [] : normalizer.type === 'Sequence' ? (normalizer.normalizers ?? []).map((n) => n.type ?? '?') : [normalizer.type ?? '?'],
    };
  }
  if (has('spiece.model')) {
    const spm = parseSentencePieceModel(await readFile(join(dir, 'spiece.model')), join(dir, 'spiece.model'));
    return {
      file: 'spiece.model',
      model: `SentencePiece ${spm.trainerSpec.modelType}`,
      vocabSize: spm.pieces.length,
      specialTokens: spm.pieces.flatMap((p, id) => (p.type === 'control' || p.type === 'unknown' ? [{ content: p.piece, id }] : [])),
      normalizers: [spm.normalizerSpec.name],
    };
  }
  return undefined;
}

/**
 * The inspection as text lines for a terminal.
 *
 * @example
 * ```ts
 * process.stdout.write(formatModelInspection(await inspectModelFolder('models/albert-mini-sop')));
 * ```
 */
export function formatModelInspection(i: ModelInspection): string {
  const lines: string[] = [`model folder  ${i.dir}`, `files         ${i.files.join(', ')}`];
  const c = i.config;
  if (c) {
    lines.push(`architecture  ${c.architectures.join(', ') || '(none)'}${c.task ? ` → task ${c.task}` : ''}`);
    lines.push(`sizes         vocab ${c.vocabSize}, embedding E=${c.embeddingSize}, hidden H=${c.hiddenSize}, ` +
      `${c.numHiddenLayers} layers in ${c.numHiddenGroups} group(s) × ${c.innerGroupNum} inner, ${c.numAttentionHeads} heads, ` +
      `FFN ${c.intermediateSize} (${c.hiddenAct}), max positions ${c.maxPositionEmbeddings}`);
    if (c.labels) lines.push(`labels        ${c.labels.map((v, k) => `${k}=${v}`).join(', ')}`);
  }
  const h = i.heads;
  const headList = [h.pooler && 'pooler', h.mlm && 'masked LM', h.classifierLabels && `classifier (${h.classifierLabels} labels)`, h.sopLabels && `SOP (${h.sopLabels} labels)`].filter(Boolean);
  lines.push(`heads         ${headList.join(', ') || 'encoder only'} (from ${h.from})`);
  const p = i.parameters;
  if (p.fromConfig) {
    const f = p.fromConfig;
    lines.push(`parameters    ${fmt(f.total)} (embeddings ${fmt(f.embeddings)}, encoder ${fmt(f.encoder)}` +
      `${f.pooler ? `, pooler ${fmt(f.pooler)}` : ''}${f.mlmHead ? `, MLM head ${fmt(f.mlmHead)}` : ''}` +
      `${f.classifier ? `, classifier ${fmt(f.classifier)}` : ''}${f.sop ? `, SOP ${fmt(f.sop)}` : ''}); shared layers counted once`);
  }
  if (p.safetensors !== undefined) lines.push(`              ${fmt(p.safetensors)} in model.safetensors`);
  if (p.onnx !== undefined) lines.push(`              ${fmt(p.onnx)} in model.onnx initializers`);
  const o = i.onnx;
  if (o) {
    lines.push(`onnx          ${(o.bytes / 1e6).toFixed(1)} MB, IR ${o.irVersion}, opset ${o.opset}, ${o.nodes} nodes, by ${o.producer || 'unknown'}; ` +
      `initializers ${Object.entries(o.initializerTypes).map(([t, n]) => `${n} ${t}`).join(', ')}`);
    for (const t of o.inputs) lines.push(`  input       ${t.name}: ${t.type} [${t.dims.join(', ')}]`);
    for (const t of o.outputs) lines.push(`  output      ${t.name}: ${t.type} [${t.dims.join(', ')}]`);
    lines.push(`ops           ${Object.entries(o.ops).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  const v = i.variant;
  if (v) {
    lines.push(`variant       ${v.description} (from ${v.from})`);
    const r = v.record;
    if (r?.base) lines.push(`  base        ${r.base.path} (model.onnx sha256 ${r.base.onnx_sha256.slice(0, 12)}…)`);
    if (r) lines.push(`  accuracy    ${r.accuracy ? `${r.accuracy.summary} (${r.accuracy.report})` : 'not checked'}`);
  }
  for (const x of i.variants) lines.push(`variants/     ${x.name}: ${x.description}; accuracy ${x.accuracy}`);
  const t = i.tokenizer;
  if (t) {
    lines.push(`tokenizer     ${t.file}: ${t.model}, ${t.vocabSize} entries; special ${t.specialTokens.map((s) => `${s.content}=${s.id}`).join(' ')}`);
    lines.push(`              normalizers ${t.normalizers.join(' → ') || '(none)'}`);
  } else {
    lines.push('tokenizer     none (no tokenizer.json or spiece.model)');
  }
  return `${lines.join('\n')}\n`;
}

function fmt(n: number): string {
  return `${n.toLocaleString('en-US')}${n >= 1e6 ? ` (${(n / 1e6).toFixed(1)}M)` : ''}`;
}
