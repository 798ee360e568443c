import type { Command } from 'commander';
import { runJob } from '../pipeline/run-job.js';
import { summaryLine } from '../pipeline/job-summary.js';
import type { TaskDefinition } from '../pipeline/task.js';
import { collectOptions } from './job-flags.js';

/**
 * Runs a pipeline task from the CLI: merges --config and flags, turns SIGINT/SIGTERM into a
 * clean stop (complete parts stay committed, the job stays resumable), prints the summary.
 * A second signal exits at once.
 */
export async function runCliJob<O>(task: TaskDefinition<O>, input: string, cmd: Command, taskKeys: readonly string[], mapTaskFlags: (o: Record<string, unknown>) => Record<string, unknown> = (o) => o): Promise<void> {
  const options = mapTaskFlags(collectOptions(cmd, taskKeys));
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) process.exit(130);
    process.stderr.write(`\nalbert: ${sig}: stopping; committing complete parts (press Ctrl-C again to quit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await runJob(task, { ...options, input, signal: controller.signal });
    if (!options.quiet || summary.status === 'interrupted') process.stderr.write(`${summaryLine(summary)}\n`);
    if (summary.status === 'interrupted') {
      process.stderr.write(`albert: the job is resumable: rerun the same command with --resume\n`);
      process.exitCode = 130;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
