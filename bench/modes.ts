/**
 * The three kinds of bench run: compare (a, b, c on the same rows), sweep (runJob option
 * sets), memory (peak RSS of (a) at growing row counts). Each returns the result JSON's
 * body and a markdown table; run.ts adds the machine, the command and the config.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { BenchArgs, SystemKey } from './bench-args.js';
import type { ChildConfig } from './child.js';
import { writeCorpusSubset, type CorpusSubset } from '../src/io/corpus-subset.js';
import { round } from './machine.js';
import { NAMES } from './charts.js';
import { log, measureInterleaved, mib, runSystem, type Contention, type Job, type Measured } from './measure.js';
import { fmt } from '../src/bench/svg-chart.js';
import { vectorAgreement } from '../src/model/vector-agreement.js';

interface PairAgreement {
  rows: number;
  min_cosine: number;
  mean_cosine: number;
  rows_below_0_999: number;
  max_abs_diff: number;
  worst_row: number;
}

function agreement(fileA: string, fileB: string, rows: number): PairAgreement | { error: string } {
  const load = (f: string) => {
    const b = readFileSync(f);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  };
  const x = load(fileA);
  const y = load(fileB);
  if (x.length !== y.length || x.length % rows !== 0) return { error: `sizes differ: ${x.length} vs ${y.length} floats for ${rows} rows` };
  const a = vectorAgreement(x, y, x.length / rows, 0.999);
  return { rows, min_cosine: round(a.min_cosine, 7), mean_cosine: round(a.mean_cosine, 7), rows_below_0_999: a.rows_below, max_abs_diff: Number(a.max_abs_diff.toPrecision(3)), worst_row: a.worst_row };
}

export async function compareMode(args: BenchArgs, work: string, model: { dir: string; composed: boolean }): Promise<{ json: Record<string, unknown>; table: string }> {
  const rows = args.rows[0];
  const subsetPath = join(work, 'input.csv');
  const subset: CorpusSubset = await writeCorpusSubset(args.corpus, subsetPath, rows);
  log(`input: ${subset.rows} rows of ${args.corpus}${subset.passes > 1 ? ` (corpus read ${subset.passes} times, fresh ids)` : ''}`);
  const measured = await measureInterleaved(
    args,
    args.systems.map((system) => ({
      key: system,
      label: NAMES[system],
      config: (i: number): ChildConfig => ({
        system,
        input: subsetPath,
        model: model.dir,
        maxLength: args.maxLength,
        pipelineArgs: args.pipelineArgs,
        sessionOptions: args.sessionOptions,
        tjsBatch: args.tjsBatch,
        work: join(work, `${system}-${i}`),
        embeddingsOut: i === 0 ? join(work, `${system}.f32`) : null,
        memory: false,
      }),
    })),
  );
  const results = measured.results as Partial<Record<SystemKey, { median: Measured; runs: Measured[] }>>;
  const { discarded, failed } = measured;
  const done = args.systems.filter((s) => results[s]);
  if (done.length === 0) throw new Error(`every system failed: ${JSON.stringify(failed)}`);

  // Agreement of the embeddings (first run of each system), every row.
  const agree: Record<string, unknown> = {};
  const keys = done.filter((s) => results[s]?.runs[0].embeddings_file);
  for (let i = 0; i < keys.length; i++) {
    for (let j = i + 1; j < keys.length; j++) {
      agree[`${keys[i]}_vs_${keys[j]}`] = agreement(results[keys[i]]!.runs[0].embeddings_file!, results[keys[j]]!.runs[0].embeddings_file!, subset.rows);
    }
  }
  const tokens = Object.fromEntries(done.map((s) => [s, results[s]!.median.real_tokens]));

  const a = results.a?.median;
  const b = results.b?.median;
  const c = results.c?.median;
  const aSteady = (a?.extra.docs_per_s_excluding_startup_estimate as number | null | undefined) ?? null;
  const ratios: Record<string, number | null> = {};
  if (a && c) {
    ratios.a_over_c = round(a.docs_per_s / c.docs_per_s, 3);
    ratios.a_excluding_startup_estimate_over_c = aSteady ? round(aSteady / c.docs_per_s, 3) : null;
  }
  if (a && b) {
    ratios.a_over_b = round(a.docs_per_s / b.docs_per_s, 3);
    ratios.a_excluding_startup_estimate_over_b = aSteady ? round(aSteady / b.docs_per_s, 3) : null;
  }
  if (b && c) ratios.c_over_b = round(c.docs_per_s / b.docs_per_s, 3);

  const systemsJson = Object.fromEntries(
    done.map((s) => {
      const { median, runs } = results[s]!;
      const { embeddings_file: _e, ...rest } = median;
      return [s, { name: NAMES[s], ...rest, peak_rss_mib: mib(median.max_rss_kib), repeat: runs.length, docs_per_s_runs: runs.map((r) => round(r.docs_per_s, 2)), contention_runs: runs.map((r) => r.contention) }];
    }),
  );

  const json = {
    corpus: { path: args.corpus, rows: subset.rows, passes: subset.passes, skipped_blank: subset.skippedBlank, bytes: subset.bytes },
    systems: systemsJson,
    ratios,
    failed_systems: failed,
    discarded_busy_runs: discarded,
    ratio_note: "docs/s ratios. (a)'s docs/s covers the whole runJob call including start-up; (b) and (c) exclude model load and one warm-up batch. The *_excluding_startup_estimate ratios subtract a 1-row job's wall time from (a)'s",
    agreement: { embeddings_cosine: agree, real_tokens: tokens },
  };

  const header = ['system', 'docs/s', 'tok/s', 'pad eff', 'peak RSS MiB', 'load s', 'timed s', 'others busy'];
  const lines = done.map((s) => {
    const r = results[s]!.median;
    return [NAMES[s], fmt(r.docs_per_s, 1), fmt(r.tokens_per_s), r.padding_efficiency === null ? '?' : `${fmt(100 * r.padding_efficiency, 1)}%`, fmt(mib(r.max_rss_kib), 1), r.load_s === null ? 'in timed' : fmt(r.load_s, 2), fmt(r.timed_s, 2), `${r.contention.foreign_busy_cores ?? '?'} cores`];
  });
  if (a && aSteady) lines.splice(done.indexOf('a') + 1, 0, ['  (a) excl. start-up est.', fmt(aSteady, 1), fmt((a.extra.tokens_per_s_excluding_startup_estimate as number) ?? 0), '', '', '', fmt(a.timed_s - ((a.extra.startup_probe as { wall_s: number }).wall_s ?? 0), 2), '']);
  const table = markdownTable(header, lines);
  return { json, table: `${table}\n\nratios: ${JSON.stringify(ratios)}\nagreement: ${JSON.stringify(agree)}\nreal tokens: ${JSON.stringify(tokens)}${Object.keys(failed).length ? `\nFAILED: ${JSON.stringify(failed)}` : ''}` };
}

/** A short label for a runJob option set: `w1 t2 bt2048`, other keys as k=v. */
function variantLabel(v: Record<string, unknown>): string {
  const short: Record<string, string> = { workers: 'w', threads: 't', batchTokens: 'bt', windowRows: 'win' };
  const parts = Object.entries(v).map(([k, x]) => (short[k] ? `${short[k]}${String(x)}` : `${k}=${JSON.stringify(x)}`));
  return parts.length ? parts.join(' ') : 'defaults';
}

export async function sweepMode(args: BenchArgs, work: string, model: { dir: string; composed: boolean }): Promise<{ json: Record<string, unknown>; table: string }> {
  const subsetPath = join(work, 'input.csv');
  const subset = await writeCorpusSubset(args.corpus, subsetPath, args.rows[0]);
  log(`input: ${subset.rows} rows of ${args.corpus}`);
  const variants = args.sweep!.map((v) => ({ ...args.pipelineArgs, ...v }));
  const jobs: Job[] = [];
  for (const [vi, v] of variants.entries()) {
    for (const system of args.systems) {
      if (system === 'b' && vi > 0) continue; // transformers.js ignores pipeline options: once is enough
      const key = system === 'b' ? 'b' : `${system}:${vi}`;
      jobs.push({
        key,
        label: system === 'b' ? NAMES.b : `${NAMES[system]} [${variantLabel(v)}]`,
        config: (i: number): ChildConfig => ({
          system,
          input: subsetPath,
          model: model.dir,
          maxLength: args.maxLength,
          pipelineArgs: v,
          sessionOptions: args.sessionOptions,
          tjsBatch: args.tjsBatch,
          work: join(work, `${key.replace(':', '-')}-${i}`),
          embeddingsOut: null,
          memory: false,
        }),
      });
    }
  }
  const { results, discarded, failed } = await measureInterleaved(args, jobs);
  const summarizeRun = (m: { median: Measured; runs: Measured[] }) => {
    const { embeddings_file: _e, ...rest } = m.median;
    return { ...rest, peak_rss_mib: mib(m.median.max_rss_kib), docs_per_s_runs: m.runs.map((r) => round(r.docs_per_s, 2)), contention_runs: m.runs.map((r) => r.contention) };
  };
  const json = {
    corpus: { path: args.corpus, rows: subset.rows },
    variants: variants.map((v, vi) => ({
      label: variantLabel(v),
      pipeline_args: v,
      systems: Object.fromEntries(args.systems.filter((s) => s !== 'b' && results[`${s}:${vi}`]).map((s) => [s, summarizeRun(results[`${s}:${vi}`])])),
    })),
    transformers_js: results.b ? summarizeRun(results.b) : undefined,
    failed,
    discarded_busy_runs: discarded,
    note: 'runs interleaved over variants (round 1: every variant, round 2: …); figures of the run with the median docs/s; (a) docs/s covers the whole runJob call, (c) only session.run + pooling over the same batches',
  };
  const lines: string[][] = [];
  variants.forEach((v, vi) => {
    for (const s of args.systems) {
      const r = s === 'b' ? (vi === 0 ? results.b : undefined) : results[`${s}:${vi}`];
      if (!r) continue;
      const m = r.median;
      const label = s === 'b' ? NAMES.b : s === 'a' ? `(a) ${variantLabel(v)}` : `(c) ${variantLabel(v).split(' ').filter((p) => !/^[wt]\d+$/.test(p)).join(' ')}, 1 session`;
      const mbPer1k = (m.extra as { output_mb_per_1000_docs?: number | null }).output_mb_per_1000_docs;
      lines.push([label, fmt(m.docs_per_s, 1), fmt(m.tokens_per_s), mbPer1k == null ? '' : fmt(mbPer1k, 2), m.padding_efficiency === null ? '?' : `${fmt(100 * m.padding_efficiency, 1)}%`, fmt(mib(m.max_rss_kib), 1), r.runs.map((x) => fmt(x.docs_per_s)).join(' / '), `${Math.max(...r.runs.map((x) => x.contention.foreign_busy_cores ?? 0))} cores`]);
    }
  });
  const table = markdownTable(['variant', 'docs/s', 'tok/s', 'MB out / 1k docs', 'pad eff', 'peak RSS MiB', 'runs docs/s', 'others busy (max)'], lines);
  return { json, table: `${table}${Object.keys(failed).length ? `\nFAILED: ${JSON.stringify(failed)}` : ''}` };
}

export async function memoryMode(args: BenchArgs, work: string, model: { dir: string; composed: boolean }): Promise<{ json: Record<string, unknown>; table: string }> {
  const runs: Array<Record<string, unknown>> = [];
  for (const rows of args.rows) {
    const input = join(work, `input-${rows}.csv`);
    log(`writing ${fmt(rows)} rows of ${basename(args.corpus)} (repeated as needed)…`);
    const subset = await writeCorpusSubset(args.corpus, input, rows);
    const cfg: ChildConfig = {
      system: 'a',
      input,
      model: model.dir,
      maxLength: args.maxLength,
      pipelineArgs: args.pipelineArgs,
      sessionOptions: null,
      tjsBatch: args.tjsBatch,
      work: join(work, `mem-${rows}`),
      embeddingsOut: null,
      memory: true,
    };
    mkdirSync(cfg.work, { recursive: true });
    log(`(a) at ${fmt(rows)} rows…`);
    const r = await runSystem(cfg, args);
    rmSync(input, { force: true });
    rmSync(cfg.work, { recursive: true, force: true });
    log(`(a) at ${fmt(rows)} rows: peak RSS ${fmt(mib(r.max_rss_kib))} MiB, ${fmt(r.docs_per_s)} docs/s`);
    const mem = (r.extra.memory_series as { samples: Array<[number, number, number, number]> } | undefined)?.samples ?? [];
    const { embeddings_file: _e, ...rest } = r;
    const last = mem[mem.length - 1];
    runs.push({ ...rest, peak_rss_mib: mib(r.max_rss_kib), main_heap_used_mib_at_end: last ? mib(last[2]) : null, input: { rows: subset.rows, passes: subset.passes, bytes: subset.bytes } });
  }
  const peak = runs.map((r) => r.max_rss_kib as number);
  const json = {
    corpus: { path: args.corpus },
    runs,
    peak_rss_growth: peak.length > 1 ? round(peak[peak.length - 1] / peak[0], 3) : null,
    note: 'peak RSS (process.resourceUsage().maxRSS) of one runJob process per row count; the input is the corpus repeated with fresh ids',
  };
  const table = markdownTable(
    ['rows', 'peak RSS MiB', 'docs/s (incl. start-up)', 'wall s', 'others busy'],
    runs.map((r) => [fmt(r.rows as number), fmt(r.peak_rss_mib as number, 1), fmt(r.docs_per_s as number), fmt(r.timed_s as number, 1), `${(r.contention as Contention).foreign_busy_cores ?? '?'} cores`]),
  );
  return { json, table };
}

function markdownTable(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
