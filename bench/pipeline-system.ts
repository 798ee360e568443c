/**
 * System (a): albert-pipeline end to end. `runJob(embedTask, …)` reads the subset CSV,
 * tokenizes, batches, runs the worker pool and writes Arrow parts + manifest, with mean
 * pooling and L2 normalization. Run by bench/run.ts in its own process:
 *
 *   node dist/bench/pipeline-system.js '<ChildConfig JSON>'
 *
 * Timing: `wall_s` is the whole runJob call (options, model read + sha256, worker start,
 * session creation, read → write, fsync, manifest); the summary's docs/s covers the same
 * span (it is measured from runJob's start). After the run, not timed: the Arrow output
 * is read back for the agreement check, the batches are re-derived with cutBatches to get
 * the padding, and a 1-row job estimates the fixed start-up cost.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { embedTask, resolveJobOptions, runJob, splitTaskOptions, type JobSummary } from '../src/index.js';
import { pipelineBatches } from '../src/bench/pipeline-batches.js';
import { childConfig, endOfMeasuredWork, finish, rssSeries, runChild, writeEmbeddings } from './child.js';
import { csvField, readSubset } from '../src/io/corpus-subset.js';

const cfg = childConfig();

function jobOptions(input: string, out: string): Record<string, unknown> & { input: string; out: string } {
  return {
    input,
    out,
    model: cfg.model,
    quiet: true,
    pooling: 'mean',
    normalize: true,
    ...(cfg.maxLength !== null ? { maxLength: cfg.maxLength } : {}),
    ...cfg.pipelineArgs,
  };
}

runChild(async () => {
  const out = join(cfg.work, 'out-a');
  rmSync(out, { recursive: true, force: true });
  const options = jobOptions(cfg.input, out);
  const resolved = resolveJobOptions(splitTaskOptions(embedTask, options).job);
  const t0 = performance.now();
  const summary: JobSummary = await runJob(embedTask, options);
  const wall = (performance.now() - t0) / 1000;
  endOfMeasuredWork();
  const rss = rssSeries();
  if (summary.rows_rejected > 0) process.stderr.write(`bench (a): ${summary.rows_rejected} rows rejected: ${JSON.stringify(summary.rejects_by_code)}\n`);

  let embeddingsFile: string | null = null;
  let hidden = 0;
  let padding: { real: number; padded: number } | null = null;
  let batches = summary.batches?.batches ?? 0;
  let startup: { wall_s: number; summary_elapsed_s: number } | null = null;
  // What the job wrote (part files), for MB per 1,000 docs: `--pooling none` writes H floats per token.
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { parts: { file: string; bytes: number }[] };
  const outputBytes = manifest.parts.reduce((n, p) => n + p.bytes, 0);
  // Token-level output has no `embedding` column, and split documents are not batched as the
  // padding estimate below assumes: neither gets the agreement check nor the padding figure.
  const pooledWhole = cfg.pipelineArgs.pooling !== 'none' && cfg.pipelineArgs.long !== 'split';
  const { ids, texts } = cfg.memory ? { ids: [], texts: [] } : readSubset(cfg.input);
  if (!cfg.memory && pooledWhole) {
    // The output, back in input order, for the agreement check.
    const rows: ArrayLike<number>[] = [];
    for (const p of manifest.parts) rows.push(...(await embeddingRows(join(out, p.file))));
    hidden = rows[0]?.length ?? 0;
    const emb = new Float32Array(rows.length * hidden);
    rows.forEach((r, i) => emb.set(r, i * hidden));
    embeddingsFile = writeEmbeddings(cfg.embeddingsOut, emb);

    // The batches runJob formed: windows of windowRows rows, each sorted and cut by budget.
    const formed = await pipelineBatches(cfg.model, texts, resolved);
    padding = formed.padding;
    batches = formed.rows.length;
  }
  if (!cfg.memory) {
    // The fixed cost of a job (worker start, session, output files): a 1-row job.
    const probeIn = join(cfg.work, 'probe-1row.csv');
    writeFileSync(probeIn, `id,text\n${csvField(ids[0])},${csvField(texts[0])}\n`);
    const probeOut = join(cfg.work, 'out-a-probe');
    rmSync(probeOut, { recursive: true, force: true });
    const p0 = performance.now();
    const probe = await runJob(embedTask, jobOptions(probeIn, probeOut));
    startup = { wall_s: (performance.now() - p0) / 1000, summary_elapsed_s: probe.elapsed_s };
    rmSync(probeOut, { recursive: true, force: true });
  }
  rmSync(out, { recursive: true, force: true });

  const st = summary.stages_ms;
  const steadyS = startup ? Math.max(wall - startup.wall_s, 1e-9) : null;
  finish({
    system: 'a',
    label: 'albert-pipeline runJob',
    rows: summary.rows_out,
    real_tokens: summary.tokens,
    padded_tokens: padding?.padded ?? null,
    padding_efficiency: padding ? padding.real / padding.padded : null,
    load_s: null,
    timed_s: wall,
    timing: 'whole runJob() call: option resolution, model read + sha256, worker + session start, CSV read, tokenize, infer, pool, Arrow write + fsync, manifest',
    docs_per_s: summary.rows_out / wall,
    tokens_per_s: summary.tokens / wall,
    batches,
    hidden,
    embeddings_file: embeddingsFile,
    extra: {
      resolved_options: {
        workers: resolved.workers,
        threads: resolved.threads,
        batch_tokens: resolved.batchTokens,
        window_rows: resolved.windowRows,
        part_rows: resolved.partRows,
        max_length: resolved.maxLength,
      },
      summary: {
        rows_in: summary.rows_in,
        rows_out: summary.rows_out,
        rows_rejected: summary.rows_rejected,
        parts: summary.parts,
        tokens: summary.tokens,
        elapsed_s: summary.elapsed_s,
        docs_per_s: summary.docs_per_s,
        tokens_per_s: summary.tokens_per_s,
        execution_provider: summary.execution_provider,
        scheduler: summary.batches,
      },
      summary_docs_per_s_note: "the summary's docs/s = rows_out / elapsed_s, elapsed measured from runJob's start: includes start-up, like wall_s",
      output_bytes: outputBytes,
      output_mb_per_1000_docs: summary.rows_out > 0 ? outputBytes / 1e6 / (summary.rows_out / 1000) : null,
      stages_ms: st,
      stages_note:
        'read/tokenize/write: main-thread time spent awaiting each stage (they overlap with inference in the workers); queue/infer/post: summed per batch over all workers (queue = time a batch waited for a worker; infer = session.run; post = pooling + normalize in the worker)',
      infer_docs_per_s: st.inferMs > 0 ? summary.rows_out / (st.inferMs / 1000 / resolved.workers) : null,
      infer_docs_per_s_note: 'rows / (summed session.run time / workers): the rate the workers ran at while inferring',
      startup_probe: startup,
      startup_probe_note: 'a 1-row runJob after the measured run (model files in page cache): the fixed cost of any job',
      docs_per_s_excluding_startup_estimate: steadyS ? summary.rows_out / steadyS : null,
      tokens_per_s_excluding_startup_estimate: steadyS ? summary.tokens / steadyS : null,
      memory_series: cfg.memory ? { columns: ['ms', 'rss_kib', 'main_heap_used_kib', 'main_external_kib'], samples: rss } : undefined,
    },
  });
});

/** The embedding column of one part, Arrow or Parquet (--output-format), row by row. */
async function embeddingRows(path: string): Promise<ArrayLike<number>[]> {
  if (path.endsWith('.parquet')) {
    const file = await asyncBufferFromFile(path);
    const rows = await parquetReadObjects({ file, columns: ['embedding'] });
    return rows.map((r) => r.embedding as number[]);
  }
  const col = tableFromIPC(readFileSync(path)).getChild('embedding')!;
  return Array.from({ length: col.length }, (_, i) => Float32Array.from(col.get(i) as Iterable<number>));
}
