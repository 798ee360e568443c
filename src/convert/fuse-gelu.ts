/**
 * GELU fusion: a chain of element-wise nodes with scalar constants that computes
 * gelu_new (tanh approximation) of one value becomes `com.microsoft` FastGelu, the erf
 * form becomes `com.microsoft` Gelu; a bias Add just before folds into FastGelu / BiasGelu.
 *
 * Graphs write GELU in many node orders (torch: 0.5x · (1 + tanh(c(x + 0.044715 x³))) with
 * Pow; our converter: x·x instead of x³, the 0.5 elsewhere). Rather than one pattern per
 * order, the candidate chain is found structurally (everything between x and the one value
 * that leaves the chain) and then evaluated on sample points against both formulas.
 */
import { GraphView } from '../model/onnx-graph-view.js';
import type { NodeProtoObject } from '../model/onnx-proto.js';

const ELEMENTWISE: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: (a, b) => a ** b,
};
const UNARY: Record<string, (a: number) => number> = { Tanh: Math.tanh, Erf: erf, Sqrt: Math.sqrt };

const SAMPLES = [-6, -3.1, -1.7, -0.9, -0.35, -0.02, 0, 0.04, 0.3, 0.8, 1.4, 2.6, 5.5];
const GELU_TANH = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const GELU_ERF = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));

const MS = 'com.microsoft';

/**
 * Fuses every GELU of the graph; returns how many of each kind.
 *
 * @example
 * ```ts
 * fuseGelu(view); // { FastGelu: 6, Gelu: 0 } on albert-mini (gelu_new)
 * ```
 */
export function fuseGelu(view: GraphView): { FastGelu: number; Gelu: number } {
  const counts = { FastGelu: 0, Gelu: 0 };
  for (const t of view.all()) {
    if ((t.op_type !== 'Tanh' && t.op_type !== 'Erf') || t.domain) continue;
    if (!view.all().includes(t)) continue; // consumed by an earlier fusion
    const x = chainSource(view, t.input[0]);
    if (x === null) continue;
    const region = forwardRegion(view, x);
    if (!region || !region.nodes.includes(t)) continue;
    const kind = t.op_type === 'Tanh' ? 'FastGelu' : 'Gelu';
    const f = (v: number): number => evaluate(view, region.nodes, x, region.output, v);
    const want = kind === 'FastGelu' ? GELU_TANH : GELU_ERF;
    if (!SAMPLES.every((v) => Math.abs(f(v) - want(v)) <= 1e-5 * Math.max(1, Math.abs(want(v))))) continue;

    // x = MatMul output + constant bias, read by nothing else: the bias goes into the fused op.
    const addNode = view.producer(x);
    const biasIn = addNode?.op_type === 'Add' && !addNode.domain ? addNode.input.findIndex((i) => isVector(view, i)) : -1;
    const foldBias = biasIn >= 0 && view.consumers(x).every((c) => region.nodes.includes(c)) && !view.isGraphOutput(x);
    const b = view.builder();
    const inputs = foldBias ? [addNode!.input[1 - biasIn], addNode!.input[biasIn]] : [x];
    const op = kind === 'FastGelu' ? 'FastGelu' : foldBias ? 'BiasGelu' : 'Gelu';
    b.node(op, inputs, { domain: MS, replaces: true, outputs: [region.output], name: b.fresh(`${op}_fused`) });
    view.remove(foldBias ? [...region.nodes, addNode!] : region.nodes);
    view.addFrom(b);
    counts[kind]++;
  }
  return counts;
}

function isVector(view: GraphView, value: string): boolean {
  return (view.constant(value)?.dims ?? []).length === 1;
}

function isChainNode(view: GraphView, n: NodeProtoObject | undefined): n is NodeProtoObject {
  return n !== undefined && !n.domain && (n.op_type in ELEMENTWISE || n.op_type in UNARY);
}

/** The one non-constant value a Tanh/Erf argument is computed from through element-wise nodes. */
function chainSource(view: GraphView, value: string): string | null {
  const sources = new Set<string>();
  const stack = [value];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (seen.has(v) || view.scalar(v) !== undefined) continue;
    seen.add(v);
    const p = view.producer(v);
    // Through element-wise nodes of computed values and scalars; a vector constant (a bias) ends the chain.
    if (isChainNode(view, p) && seen.size < 32 && p.input.every((i) => view.scalar(i) !== undefined || view.constant(i) === undefined)) stack.push(...p.input);
    else sources.add(v);
  }
  return sources.size === 1 ? [...sources][0] : null;
}

/**
 * The element-wise nodes computed from `x` alone (and scalar constants), grown forward
 * from x's readers; it must have exactly one value read outside it.
 */
function forwardRegion(view: GraphView, x: string): { nodes: NodeProtoObject[]; output: string } | null {
  const nodes: NodeProtoObject[] = [];
  const known = new Set([x]);
  for (let grew = true; grew && nodes.length <= 16;) {
    grew = false;
    for (const v of [...known]) {
      for (const c of view.consumers(v)) {
        if (nodes.includes(c) || !isChainNode(view, c)) continue;
        if (!c.input.every((i) => known.has(i) || view.scalar(i) !== undefined)) continue;
        nodes.push(c);
        known.add(c.output[0]);
        grew = true;
      }
    }
  }
  if (nodes.length === 0 || nodes.length > 16) return null;
  const leaving = nodes.filter((n) => view.isGraphOutput(n.output[0]) || view.consumers(n.output[0]).some((c) => !nodes.includes(c)));
  return leaving.length === 1 ? { nodes, output: leaving[0].output[0] } : null;
}

/** The region's output for x = v, computed in float64 from its nodes and scalar constants. */
function evaluate(view: GraphView, nodes: NodeProtoObject[], x: string, output: string, v: number): number {
  const values = new Map<string, number>([[x, v]]);
  const read = (name: string): number => values.get(name) ?? view.scalar(name) ?? NaN;
  for (let pending = [...nodes]; pending.length > 0;) {
    const ready = pending.filter((n) => n.input.every((i) => values.has(i) || view.scalar(i) !== undefined));
    if (ready.length === 0) return NaN;
    for (const n of ready) {
      const out = n.op_type in UNARY ? UNARY[n.op_type](read(n.input[0])) : ELEMENTWISE[n.op_type](read(n.input[0]), read(n.input[1]));
      values.set(n.output[0], out);
    }
    pending = pending.filter((n) => !ready.includes(n));
  }
  return values.get(output) ?? NaN;
}

/** erf to ~1e-7 (Abramowitz-Stegun 7.1.26 is too coarse for a 1e-5 check; this is a series/continued fraction pair). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: converges quickly below 2.5.
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction for erfc, accurate for larger |x|.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}
