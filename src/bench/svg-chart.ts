/**
 * A small, self-contained SVG chart writer for bench results: horizontal bars, stacked
 * bars and line plots in panels stacked vertically. No scripts, no external fonts (the
 * generic `sans-serif` family), no chart library; labels carry their values.
 */

export interface Bar {
  label: string;
  value: number;
  /** The text drawn after the bar (e.g. "253 docs/s · 31,000 tok/s"). */
  text: string;
  color?: string;
}

export interface Segment {
  label: string;
  value: number;
  color: string;
}

export interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  points: ReadonlyArray<readonly [number, number]>;
}

export type Panel =
  | { kind: 'bars'; title: string; bars: Bar[]; note?: string }
  | { kind: 'stack'; title: string; rows: Array<{ label: string; segments: Segment[] }>; unit: string; note?: string }
  | { kind: 'lines'; title: string; series: Series[]; xLabel: string; yLabel: string; note?: string };

export interface ChartSpec {
  title: string;
  subtitle?: string;
  panels: Panel[];
  footer?: string[];
}

export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

const WIDTH = 820;
const PAD = 20;
const CHAR_W = 6.6; // average glyph width of 12px sans-serif, for layout only

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;
}

export function fmt(x: number, digits = 0): string {
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function barsPanel(p: Extract<Panel, { kind: 'bars' }>, y0: number): { svg: string; height: number } {
  const labelW = Math.min(300, Math.max(...p.bars.map((b) => b.label.length)) * CHAR_W + 10);
  const textW = Math.max(...p.bars.map((b) => b.text.length)) * CHAR_W + 10;
  const x0 = PAD + labelW;
  const plotW = Math.max(120, WIDTH - PAD - x0 - textW);
  const max = Math.max(...p.bars.map((b) => b.value), 1e-9);
  const barH = 22;
  const gap = 8;
  const out: string[] = [text(PAD, y0 + 16, p.title, 'font-size="14" font-weight="bold"')];
  let y = y0 + 28;
  p.bars.forEach((b, i) => {
    const w = Math.max(1, (b.value / max) * plotW);
    out.push(text(x0 - 8, y + barH / 2 + 4, b.label, 'text-anchor="end" font-size="12"'));
    out.push(`<rect x="${x0}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${b.color ?? PALETTE[i % PALETTE.length]}" rx="2"/>`);
    out.push(text(x0 + w + 6, y + barH / 2 + 4, b.text, 'font-size="12"'));
    y += barH + gap;
  });
  if (p.note) {
    out.push(text(PAD, y + 10, p.note, 'font-size="11" fill="#555"'));
    y += 16;
  }
  return { svg: out.join('\n'), height: y - y0 + 6 };
}

function stackPanel(p: Extract<Panel, { kind: 'stack' }>, y0: number): { svg: string; height: number } {
  const labelW = Math.min(300, Math.max(...p.rows.map((r) => r.label.length)) * CHAR_W + 10);
  const x0 = PAD + labelW;
  const plotW = WIDTH - PAD - x0 - 10;
  const max = Math.max(...p.rows.map((r) => r.segments.reduce((s, g) => s + g.value, 0)), 1e-9);
  const barH = 26;
  const out: string[] = [text(PAD, y0 + 16, p.title, 'font-size="14" font-weight="bold"')];
  let y = y0 + 28;
  for (const r of p.rows) {
    out.push(text(x0 - 8, y + barH / 2 + 4, r.label, 'text-anchor="end" font-size="12"'));
    let x = x0;
    const total = r.segments.reduce((s, g) => s + g.value, 0);
    for (const g of r.segments) {
      const w = (g.value / max) * plotW;
      if (w <= 0) continue;
      out.push(`<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${g.color}"><title>${esc(`${g.label}: ${fmt(g.value)} ${p.unit} (${fmt((100 * g.value) / total, 1)}%)`)}</title></rect>`);
      const inside = `${g.label}`;
      if (w > inside.length * CHAR_W + 6) out.push(text(x + w / 2, y + barH / 2 + 4, inside, 'text-anchor="middle" font-size="11" fill="#fff"'));
      x += w;
    }
    y += barH + 8;
  }
  // Legend with values: every segment of the first row.
  const first = p.rows[0];
  if (first) {
    const total = first.segments.reduce((s, g) => s + g.value, 0);
    let lx = PAD;
    for (const g of first.segments) {
      const label = `${g.label} ${fmt(g.value)} ${p.unit} (${fmt((100 * g.value) / Math.max(total, 1e-9), 1)}%)`;
      const w = label.length * CHAR_W + 24;
      if (lx + w > WIDTH - PAD) {
        lx = PAD;
        y += 18;
      }
      out.push(`<rect x="${lx}" y="${y + 2}" width="11" height="11" fill="${g.color}"/>`);
      out.push(text(lx + 15, y + 12, label, 'font-size="11"'));
      lx += w;
    }
    y += 20;
  }
  if (p.note) {
    out.push(text(PAD, y + 10, p.note, 'font-size="11" fill="#555"'));
    y += 16;
  }
  return { svg: out.join('\n'), height: y - y0 + 6 };
}

function linesPanel(p: Extract<Panel, { kind: 'lines' }>, y0: number): { svg: string; height: number } {
  const x0 = PAD + 60;
  const plotW = WIDTH - x0 - PAD - 10;
  const plotH = 200;
  const top = y0 + 44;
  const all = p.series.flatMap((s) => s.points);
  const xMax = niceMax(Math.max(...all.map((q) => q[0]), 1e-9));
  const yMax = niceMax(Math.max(...all.map((q) => q[1]), 1e-9));
  const sx = (x: number) => x0 + (x / xMax) * plotW;
  const sy = (y: number) => top + plotH - (y / yMax) * plotH;
  const out: string[] = [text(PAD, y0 + 16, p.title, 'font-size="14" font-weight="bold"')];
  const ticks = (max: number) => [5, 4, 3, 6].find((n) => Number.isInteger(Math.round((max / n) * 1e6) / 1e6)) ?? 4;
  const yn = ticks(yMax);
  for (let i = 0; i <= yn; i++) {
    const yv = (yMax * i) / yn;
    out.push(`<line x1="${x0}" x2="${x0 + plotW}" y1="${sy(yv).toFixed(1)}" y2="${sy(yv).toFixed(1)}" stroke="#ddd"/>`);
    out.push(text(x0 - 6, sy(yv) + 4, fmt(yv), 'text-anchor="end" font-size="11"'));
  }
  const xn = ticks(xMax);
  for (let i = 0; i <= xn; i++) {
    const xv = (xMax * i) / xn;
    out.push(text(sx(xv), top + plotH + 16, fmt(xv, Number.isInteger(xv) ? 0 : 1), 'text-anchor="middle" font-size="11"'));
  }
  out.push(`<rect x="${x0}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  out.push(text(x0 + plotW / 2, top + plotH + 32, p.xLabel, 'text-anchor="middle" font-size="11"'));
  out.push(text(PAD, top - 6, p.yLabel, 'font-size="11"'));
  const drawn = p.series.filter((s) => s.points.length > 0);
  for (const s of drawn) {
    const d = s.points.map((q, i) => `${i === 0 ? 'M' : 'L'}${sx(q[0]).toFixed(1)},${sy(q[1]).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
  }
  // Legend in the plot's lower right, on a white box so lines do not run through it.
  const legendW = Math.max(...drawn.map((s) => s.label.length), 0) * CHAR_W + 36;
  const legendH = drawn.length * 16 + 6;
  const lx = x0 + plotW - legendW - 8;
  let ly = top + plotH - legendH - 24;
  if (drawn.length > 0) out.push(`<rect x="${lx}" y="${ly}" width="${legendW}" height="${legendH}" fill="#fff" fill-opacity="0.9" stroke="#ccc"/>`);
  ly += 4;
  for (const s of drawn) {
    out.push(`<line x1="${lx + 6}" x2="${lx + 22}" y1="${ly + 6}" y2="${ly + 6}" stroke="${s.color}" stroke-width="3"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
    out.push(text(lx + 28, ly + 10, s.label, 'font-size="11"'));
    ly += 16;
  }
  let y = top + plotH + 40;
  if (p.note) {
    out.push(text(PAD, y + 4, p.note, 'font-size="11" fill="#555"'));
    y += 14;
  }
  return { svg: out.join('\n'), height: y - y0 + 6 };
}

/** Renders the chart as one standalone SVG document. */
export function renderChart(spec: ChartSpec): string {
  const parts: string[] = [];
  let y = PAD;
  parts.push(text(PAD, y + 14, spec.title, 'font-size="16" font-weight="bold"'));
  y += 22;
  if (spec.subtitle) {
    parts.push(text(PAD, y + 12, spec.subtitle, 'font-size="12" fill="#444"'));
    y += 20;
  }
  y += 6;
  for (const p of spec.panels) {
    const r = p.kind === 'bars' ? barsPanel(p, y) : p.kind === 'stack' ? stackPanel(p, y) : linesPanel(p, y);
    parts.push(r.svg);
    y += r.height + 12;
  }
  for (const f of spec.footer ?? []) {
    parts.push(text(PAD, y + 10, f, 'font-size="10" fill="#666"'));
    y += 14;
  }
  const height = Math.ceil(y + PAD);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
