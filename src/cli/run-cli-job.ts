import type { Command } from 'commander';
import { runJob } from '../pipeline/run-job.js';
import { summaryLine } from '../pipeline/job-summary.js';
import { runStaticShards } from '../shards/run-shards.js';
import type { TaskDefinition } from '../tasks/task.js';
import { collectOptions } from './job-flags.js';
import { warnIfOversubscribed } from './thread-warning.js';

/**
 * Runs a pipeline task from the CLI: merges --config and flags, turns SIGINT/SIGTERM into a
 * quick clean stop (the batches in flight finish and every finished window is committed, so
 * the job stays resumable), prints the summary. A second signal exits at once: that is a
 * crash to the commit protocol, so what was committed stays, and --resume still works.
 */
export async function runCliJob(task: TaskDefinition, input: string, cmd: Command): Promise<void> {
  const options = collectOptions(cmd, Object.keys(task.options));
  warnIfOversubscribed(options);
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) {
      process.stderr.write(`\nalbert: second ${sig}: quitting at once; committed parts are kept (--resume continues)\n`);
      process.exit(130);
    }
    process.stderr.write(`\nalbert: ${sig}: stopping: finishing the batches in flight, then committing every finished window (press Ctrl-C again to quit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (options.shardCount !== undefined || options.shardIndex !== undefined) {
      await runStaticCli(task, { ...options, input, signal: controller.signal });
      return;
    }
    const summary = await runJob(task, { ...options, input, signal: controller.signal });
    if (!options.quiet || summary.status === 'interrupted') process.stderr.write(`${summaryLine(summary)}\n`);
    if (summary.status === 'interrupted') {
      const n = (x: number) => x.toLocaleString('en-US');
      process.stderr.write(`albert: kept ${n(summary.rows_in)} rows (${n(summary.rows_out)} out, ${n(summary.rows_rejected)} rejected) in ${summary.parts} part${summary.parts === 1 ? '' : 's'}; rerun the same command with --resume to do the rest\n`);
      process.exitCode = 130;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function runStaticCli(task: TaskDefinition, options: Record<string, unknown>): Promise<void> {
  const outcomes = await runStaticShards(task, options);
  const n = (s: string) => outcomes.filter((o) => o.status === s).length;
  const rows = outcomes.reduce((a, o) => a + (o.record?.rows_out ?? 0), 0);
  if (!options.quiet) {
    process.stderr.write(`${task.name}: ${outcomes.length} shards for this worker: ${n('committed')} committed (${rows} rows), ${n('skipped')} already done, ${n('lost-race')} committed first by another worker\n`);
  }
  if (n('interrupted') > 0) {
    process.stderr.write('albert: interrupted; committed shards are kept: rerun the same command to finish\n');
    process.exitCode = 130;
  }
}
