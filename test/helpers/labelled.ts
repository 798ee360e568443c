import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { ROOT } from './cli.js';

/**
 * Labels for data/sample.csv's paragraphs from keywords, in albert-mini-cls's five classes.
 * Rough (a paragraph mentioning a license is `license`), but the same on every machine, so
 * training and evaluation run on a fresh clone without ../shared.
 */
export function keywordLabel(text: string): string {
  if (/licen[cs]e|copyright|warrant/i.test(text)) return 'license';
  if (/^\s*(\*|-)?\s*(fix|fixed|bump|add|added|update|updated|remove|removed)\b|changelog|released?\b/i.test(text)) return 'changelog';
  if (/\bdef |\bimport |\breturn\b|[{};]|=>|\bself\./.test(text)) return 'code';
  if (/\binstall|\busage\b|readme|getting started/i.test(text)) return 'readme';
  return 'docs';
}

export interface LabelledRow {
  id: string;
  text: string;
  label: string;
}

/** The first `perClass` sample paragraphs of each keyword class, in file order. */
export function labelledSample(perClass: number): LabelledRow[] {
  const rows = parse(readFileSync(join(ROOT, 'data', 'sample.csv'), 'utf8'), { columns: true }) as Array<{ id: string; text: string }>;
  const taken = new Map<string, number>();
  const out: LabelledRow[] = [];
  for (const r of rows) {
    const label = keywordLabel(r.text);
    if ((taken.get(label) ?? 0) >= perClass) continue;
    taken.set(label, (taken.get(label) ?? 0) + 1);
    out.push({ id: r.id, text: r.text, label });
  }
  return out;
}

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Writes rows as a CSV with columns id,text,label (or the names given). */
export function writeLabelledCsv(file: string, rows: readonly LabelledRow[], columns = { text: 'text', label: 'label' }): string {
  writeFileSync(file, [`id,${columns.text},${columns.label}`, ...rows.map((r) => `${quote(r.id)},${quote(r.text)},${quote(r.label)}`)].join('\n') + '\n');
  return file;
}
