/**
 * Redraws the SVG of bench results from their JSON, without measuring again:
 *
 *   npm run build && node dist/bench/rechart.js bench/results/*.json
 *
 * Writes NAME.svg next to each NAME.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { chartFromResult, type ResultJson } from './charts.js';
import { renderChart } from '../src/bench/svg-chart.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node dist/bench/rechart.js bench/results/NAME.json …\n');
  process.exit(2);
}
for (const file of files) {
  const result = JSON.parse(readFileSync(file, 'utf8')) as ResultJson;
  if (!result.mode || !result.machine) {
    process.stderr.write(`${file}: not a bench result; skipped\n`);
    continue;
  }
  const svg = file.replace(/\.json$/, '.svg');
  writeFileSync(svg, renderChart(chartFromResult(result)));
  process.stdout.write(`wrote ${svg}\n`);
}
