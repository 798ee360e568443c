import { Command } from 'commander';
import { TASKS } from '../tasks/task-registry.js';
import type { TaskDefinition } from '../tasks/task.js';
import { addJobFlags, collectOptions, floatArg, intArg } from './job-flags.js';
import { mergeSummaryLine } from './merge-manifest-command.js';
import { addQueueFlags, ms, queueFlags } from './queue-flags.js';
import { addTaskFlags } from './task-commands.js';

export { workerCommand } from './worker-command.js';

// The queue modules (BullMQ, ioredis: ~250 ms to load) are imported when a queue command
// runs, not by every `albert` call.
const queueLib = () => import('../queue/index.js');

// Job flags a submitter does not set: the worker picks its device and sessions, and a
// queued run has no single process to resume, overwrite or index.
const NOT_FOR_SUBMIT = new Set(['workers', 'threads', 'device', 'overwrite', 'resume', 'partRows', 'shardCount', 'shardIndex', 'run']);
const QUEUE_KEYS = ['redis', 'queue', 'prefix', 'attempts', 'backoff', 'wait'];

/**
 * `albert submit <task> <inputs...> --out DIR --redis URL --run ID`: one subcommand per task,
 * with that task's own flags (taken from its `albert <task>` command, so they never drift).
 */
export function submitCommand(): Command {
  const cmd = new Command('submit').description('plan a run into shards and queue them in Redis for `albert worker`s (see README "Scale-out")');
  for (const task of TASKS) cmd.addCommand(submitTaskCommand(task));
  return cmd;
}

function submitTaskCommand(task: TaskDefinition): Command {
  const cmd = new Command(task.name)
    .description(`queue the shards of an \`albert ${task.name}\` run; workers anywhere run them into --out`)
    .argument('<inputs...>', 'input files (not stdin: a shard is a byte range of a file)');
  for (const opt of addJobFlags(new Command(), task.defaultModel).options) if (!NOT_FOR_SUBMIT.has(opt.attributeName())) cmd.addOption(opt);
  addTaskFlags(cmd, task);
  addQueueFlags(cmd)
    .requiredOption('--run <id>', 'run id (required: one queue holds many runs); shard ids are <run>-shard-00042')
    .option('--attempts <n>', 'tries per shard before it fails (default: 5)', intArg('--attempts'))
    .option('--backoff <seconds>', 'delay before the first retry, doubled for each next one (default: 10)', floatArg('--backoff'))
    .option('--wait', 'wait until every shard is committed, then write manifest.json (merge-manifest)')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText('after', `\nExample:\n  albert submit ${task.name} docs-*.csv --out /shared/out/docs --run docs --redis redis://queue:6379 --shard-rows 65536\n  albert worker --redis redis://queue:6379 --device cuda     # on each GPU host\n`);
  cmd.action(async (inputs: string[], _o: unknown, self: Command) => {
    const flags = self.opts<Record<string, unknown>>();
    const collected = collectOptions(self, [...Object.keys(task.options), ...QUEUE_KEYS]);
    const { redis: _r, queue: _q, prefix: _p, attempts, backoff, wait: _w, json: _j, ...jobOptions } = collected;
    const queue = queueFlags(flags);
    const { submitShards, waitForRun } = await queueLib();
    const result = await submitShards(task, { ...jobOptions, ...queue, inputs, out: flags.out as string, run: flags.run as string, attempts: attempts as number | undefined, backoffMs: ms(backoff) });
    const existing = Object.entries(result.existing).map(([k, v]) => `${v} ${k}`).join(', ');
    if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    if (!flags.quiet) {
      process.stderr.write(`submit: run ${result.run}: ${result.shards} shards (${result.rows} rows) into ${result.out}: ${result.added} queued, ${result.committed} already committed${existing ? `, already in the queue: ${existing}` : ''}${result.requeued ? `, ${result.requeued} re-queued (completed in Redis, missing in the output)` : ''}\n`);
      if (result.existing.failed) process.stderr.write(`submit: ${result.existing.failed} shards failed earlier; albert retry-failed --run ${result.run} queues them again\n`);
    }
    if (flags.wait) {
      let last = '';
      const merged = await waitForRun({
        ...queue,
        run: result.run,
        out: result.out,
        onStatus: (s) => {
          const line = `submit: waiting: ${s.disk?.committed ?? 0}/${s.disk?.planned ?? '?'} shards committed, ${s.counts.active} active, ${s.counts.failed} failed`;
          if (!flags.quiet && line !== last) process.stderr.write(`${line}\n`);
          last = line;
        },
      });
      if (!flags.quiet) process.stderr.write(mergeSummaryLine(merged, result.out));
    }
  });
  return cmd;
}

/** `albert status --redis URL --run ID`: the run as Redis and the output see it. */
export function statusCommand(): Command {
  return addQueueFlags(new Command('status').description("a queued run: jobs per state, active shards' progress, failed shards and why, committed shards in the output"))
    .requiredOption('--run <id>', 'run id given to albert submit')
    .option('-o, --out <dir>', "the run's output (default: from its jobs; needed after Redis lost them)")
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  albert status --redis redis://queue:6379 --run docs\n')
    .action(async (o: Record<string, unknown>) => {
      const { runStatus, formatRunStatus } = await queueLib();
      const s = await runStatus({ ...queueFlags(o), run: o.run as string, ...(o.out ? { out: o.out as string } : {}) });
      process.stdout.write(o.json ? `${JSON.stringify(s, null, 2)}\n` : formatRunStatus(s));
    });
}

/** `albert retry-failed --redis URL --run ID`: failed shards go back in the queue, with fresh attempts. */
export function retryFailedCommand(): Command {
  return addQueueFlags(new Command('retry-failed').description("queue a run's failed shards again, with a fresh set of attempts"))
    .requiredOption('--run <id>', 'run id given to albert submit')
    .action(async (o: Record<string, unknown>) => {
      const { retryFailed } = await queueLib();
      const { retried } = await retryFailed({ ...queueFlags(o), run: o.run as string });
      process.stderr.write(`retry-failed: run ${o.run as string}: ${retried.length} failed shards queued again${retried.length ? `: ${retried.slice(0, 10).join(', ')}${retried.length > 10 ? ', ...' : ''}` : ''}\n`);
    });
}
