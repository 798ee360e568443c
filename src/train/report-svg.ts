/**
 * The pictures `albert evaluate` writes: a confusion matrix a person reads at a glance
 * (right answers blue on the diagonal, mistakes red, each cell's count and share of its
 * true class), a reliability diagram, and per-label scores for multi-label models.
 * Plain SVG strings: no fonts or scripts to load, any browser or viewer opens them.
 */
import type { Calibration, ClassMetrics } from './metrics.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

/** Interpolates white → `to` (an [r, g, b]) by t in [0, 1]. */
function shade(to: readonly [number, number, number], t: number): string {
  const c = to.map((v) => Math.round(255 + (v - 255) * Math.min(1, Math.max(0, t))));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
const BLUE = [8, 81, 156] as const;
const RED = [180, 20, 30] as const;
const fmt = (v: number, d = 3) => v.toFixed(d);
const pct = (v: number) => `${(100 * v).toFixed(v > 0 && v < 0.1 ? 1 : 0)}%`;

function svgDoc(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

export interface ConfusionPicture {
  title: string;
  /** One line under the title, e.g. "2,357 rows · accuracy 0.895 · macro-F1 0.893". */
  subtitle: string;
  /** True labels (rows): the model's labels first, then any it cannot predict. */
  truthLabels: readonly string[];
  /** Predicted labels (columns): the model's. */
  predictedLabels: readonly string[];
  /** confusion[t][p]. */
  confusion: readonly (readonly number[])[];
  /** Per true label (recall, support) and per predicted label (precision). */
  classes: readonly ClassMetrics[];
}

/**
 * The confusion matrix as SVG: rows are the true labels, columns the predicted ones; each
 * cell shows its count and its share of the row (what fraction of that class went there),
 * shaded by that share (square root, so a 5% confusion still shows). Recall and support
 * run down the right, precision along the bottom.
 */
export function confusionMatrixSvg(p: ConfusionPicture): string {
  const t = p.truthLabels.length;
  const k = p.predictedLabels.length;
  const cell = Math.max(44, Math.min(88, Math.floor(640 / Math.max(t, k))));
  const longest = Math.max(...p.truthLabels.map((l) => l.length), ...p.predictedLabels.map((l) => l.length), 4);
  const labelW = Math.min(220, 24 + longest * 7.5);
  const colLabelH = Math.min(160, 30 + longest * 5.5);
  const left = 40 + labelW;
  const top = 78 + colLabelH;
  const gridW = k * cell;
  const gridH = t * cell;
  const width = Math.max(left + gridW + 150, 40 + p.title.length * 12, left + 520);
  const height = top + gridH + 92;
  const body: string[] = [];
  body.push(`<text x="20" y="30" font-size="20" font-weight="bold">${esc(p.title)}</text>`);
  body.push(`<text x="20" y="54" font-size="14" fill="#333">${esc(p.subtitle)}</text>`);
  body.push(`<text x="${left + gridW / 2}" y="${78}" font-size="13" text-anchor="middle" fill="#555">predicted label →</text>`);
  body.push(`<text transform="translate(${18},${top + gridH / 2}) rotate(-90)" font-size="13" text-anchor="middle" fill="#555">true label →</text>`);
  p.predictedLabels.forEach((l, j) => {
    const x = left + j * cell + cell / 2;
    body.push(`<text transform="translate(${x + 4},${top - 8}) rotate(-40)" font-size="13">${esc(l)}</text>`);
  });
  const rowTotals = p.confusion.map((r) => r.reduce((a, b) => a + b, 0));
  p.truthLabels.forEach((l, i) => {
    const y = top + i * cell + cell / 2;
    body.push(`<text x="${left - 8}" y="${y + 5}" font-size="13" text-anchor="end">${esc(l)}</text>`);
    for (let j = 0; j < k; j++) {
      const count = p.confusion[i][j];
      const share = rowTotals[i] > 0 ? count / rowTotals[i] : 0;
      const intensity = Math.sqrt(share);
      const right = p.truthLabels[i] === p.predictedLabels[j];
      const fill = count === 0 ? '#fafafa' : shade(right ? BLUE : RED, intensity);
      const ink = intensity > 0.6 ? 'white' : '#111';
      const x = left + j * cell;
      const yy = top + i * cell;
      body.push(`<rect x="${x}" y="${yy}" width="${cell}" height="${cell}" fill="${fill}" stroke="white" stroke-width="2"><title>${esc(`true ${l}, predicted ${p.predictedLabels[j]}: ${count} (${pct(share)} of ${l})`)}</title></rect>`);
      if (count > 0) {
        body.push(`<text x="${x + cell / 2}" y="${yy + cell / 2 + (cell >= 56 ? -2 : 4)}" font-size="${cell >= 56 ? 16 : 13}" font-weight="bold" text-anchor="middle" fill="${ink}">${count}</text>`);
        if (cell >= 56) body.push(`<text x="${x + cell / 2}" y="${yy + cell / 2 + 16}" font-size="11" text-anchor="middle" fill="${ink}">${pct(share)}</text>`);
      } else {
        body.push(`<text x="${x + cell / 2}" y="${yy + cell / 2 + 4}" font-size="12" text-anchor="middle" fill="#bbb">·</text>`);
      }
    }
    const c = p.classes[i];
    body.push(`<text x="${left + gridW + 12}" y="${y - 2}" font-size="12">recall ${fmt(c.recall, 2)}</text>`);
    body.push(`<text x="${left + gridW + 12}" y="${y + 14}" font-size="11" fill="#666">${c.support} rows</text>`);
  });
  p.predictedLabels.forEach((_, j) => {
    const c = p.classes[j];
    body.push(`<text x="${left + j * cell + cell / 2}" y="${top + gridH + 20}" font-size="11" text-anchor="middle" fill="#333">P ${fmt(c.precision, 2)}</text>`);
  });
  body.push(`<text x="${left}" y="${top + gridH + 50}" font-size="12" fill="#555">Each cell: rows of the true label (row) predicted as the column's, and their share of that row.</text>`);
  body.push(`<text x="${left}" y="${top + gridH + 68}" font-size="12" fill="#555">Blue: right; red: wrong, darker = a larger share. P = precision of the predicted label.</text>`);
  return svgDoc(width, height, body);
}

/**
 * A reliability diagram: per confidence bin, how often the predictions were right (bars)
 * against the confidence itself (the diagonal); the gap is miscalibration, the ECE its
 * row-weighted mean. Bin sizes are drawn underneath.
 */
export function reliabilitySvg(title: string, c: Calibration): string {
  const W = 460;
  const H = 300;
  const left = 70;
  const top = 70;
  const bottom = top + H;
  const body: string[] = [];
  body.push(`<text x="20" y="30" font-size="20" font-weight="bold">${esc(title)}</text>`);
  body.push(`<text x="20" y="54" font-size="14" fill="#333">expected calibration error ${fmt(c.ece)} (${c.bins.length} bins)</text>`);
  const X = (v: number) => left + v * W;
  const Y = (v: number) => bottom - v * H;
  for (let g = 0; g <= 10; g += 2) {
    const v = g / 10;
    body.push(`<line x1="${X(0)}" y1="${Y(v)}" x2="${X(1)}" y2="${Y(v)}" stroke="#eee"/>`);
    body.push(`<text x="${X(0) - 8}" y="${Y(v) + 4}" font-size="11" text-anchor="end">${v.toFixed(1)}</text>`);
    body.push(`<text x="${X(v)}" y="${bottom + 18}" font-size="11" text-anchor="middle">${v.toFixed(1)}</text>`);
  }
  const maxCount = Math.max(1, ...c.bins.map((b) => b.count));
  for (const b of c.bins) {
    if (b.count === 0) continue;
    const x = X(b.lo) + 1;
    const w = X(b.hi) - X(b.lo) - 2;
    // The gap goes behind the bar: above it the model was overconfident (red shows), inside it underconfident.
    const gapTop = Math.min(Y(b.accuracy), Y(b.confidence));
    const gapH = Math.abs(Y(b.accuracy) - Y(b.confidence));
    if (gapH > 0.5) body.push(`<rect x="${x}" y="${gapTop}" width="${w}" height="${gapH}" fill="rgba(200,30,40,0.35)"/>`);
    body.push(`<rect x="${x}" y="${Y(b.accuracy)}" width="${w}" height="${Y(0) - Y(b.accuracy)}" fill="rgb(66,133,199)"><title>${esc(`confidence ${b.lo.toFixed(2)}–${b.hi.toFixed(2)}: ${b.count} rows, mean confidence ${fmt(b.confidence)}, accuracy ${fmt(b.accuracy)}`)}</title></rect>`);
    body.push(`<line x1="${x}" y1="${Y(b.confidence)}" x2="${x + w}" y2="${Y(b.confidence)}" stroke="#111" stroke-width="2"/>`);
    const hh = (b.count / maxCount) * 40;
    body.push(`<rect x="${x}" y="${bottom + 64 - hh}" width="${w}" height="${hh}" fill="#999"/>`);
  }
  body.push(`<line x1="${X(0)}" y1="${Y(0)}" x2="${X(1)}" y2="${Y(1)}" stroke="#222" stroke-dasharray="5,4"/>`);
  body.push(`<rect x="${X(0)}" y="${Y(1)}" width="${W}" height="${H}" fill="none" stroke="#444"/>`);
  body.push(`<text x="${X(0.5)}" y="${bottom + 36}" font-size="12" text-anchor="middle" fill="#555">confidence (the score of the predicted label)</text>`);
  body.push(`<text transform="translate(${24},${Y(0.5)}) rotate(-90)" font-size="12" text-anchor="middle" fill="#555">accuracy in the bin</text>`);
  body.push(`<text x="${X(0)}" y="${bottom + 84}" font-size="11" fill="#666">Bars: accuracy per bin; black tick: its mean confidence; red: overconfidence.</text>`);
  body.push(`<text x="${X(0)}" y="${bottom + 100}" font-size="11" fill="#666">Grey: rows per bin (tallest ${maxCount}). A calibrated model's bars end on the diagonal.</text>`);
  return svgDoc(Math.max(left + W + 40, 40 + title.length * 12), bottom + 116, body);
}

/** Per-label precision, recall and F1 of a multi-label model, as a shaded table. */
export function labelScoresSvg(title: string, subtitle: string, labels: readonly ClassMetrics[]): string {
  const cols = ['precision', 'recall', 'f1'] as const;
  const cell = 86;
  const rowH = 30;
  const labelW = Math.min(240, 30 + Math.max(...labels.map((l) => l.label.length), 5) * 7.5);
  const left = 20 + labelW;
  const top = 96;
  const body: string[] = [];
  body.push(`<text x="20" y="30" font-size="20" font-weight="bold">${esc(title)}</text>`);
  body.push(`<text x="20" y="54" font-size="14" fill="#333">${esc(subtitle)}</text>`);
  cols.forEach((c, j) => body.push(`<text x="${left + j * cell + cell / 2}" y="${top - 10}" font-size="13" text-anchor="middle">${c === 'f1' ? 'F1' : c}</text>`));
  body.push(`<text x="${left + 3 * cell + 10}" y="${top - 10}" font-size="13">rows with it</text>`);
  labels.forEach((l, i) => {
    const y = top + i * rowH;
    body.push(`<text x="${left - 8}" y="${y + rowH / 2 + 5}" font-size="13" text-anchor="end">${esc(l.label)}</text>`);
    cols.forEach((c, j) => {
      const v = l[c];
      body.push(`<rect x="${left + j * cell}" y="${y}" width="${cell}" height="${rowH}" fill="${shade(v >= 0.5 ? BLUE : RED, v >= 0.5 ? v : 1 - v)}" stroke="white" stroke-width="2"/>`);
      body.push(`<text x="${left + j * cell + cell / 2}" y="${y + rowH / 2 + 5}" font-size="13" text-anchor="middle" fill="${(v >= 0.5 ? v : 1 - v) > 0.6 ? 'white' : '#111'}">${fmt(v, 2)}</text>`);
    });
    body.push(`<text x="${left + 3 * cell + 10}" y="${y + rowH / 2 + 5}" font-size="12" fill="#555">${l.support}</text>`);
  });
  return svgDoc(left + 3 * cell + 120, top + labels.length * rowH + 30, body);
}
