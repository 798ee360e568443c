import { Command } from 'commander';
import { addDeviceFlags, floatArg, intArg } from './job-flags.js';
import { addQueueFlags, ms, queueFlags } from './queue-flags.js';
import { warnIfOversubscribed } from './thread-warning.js';

/**
 * `albert worker --redis URL [--device …]`: takes shards from the queue until stopped.
 * SIGTERM/SIGINT: finish the running shards and exit 0 (what a rolling deploy wants);
 * a second signal hands the running shards back to the queue and exits 130.
 */
export function workerCommand(): Command {
  return addDeviceFlags(addQueueFlags(new Command('worker').description('take shards from the Redis queue and run them (one per GPU host; see README "Scale-out")')))
    .option('--concurrency <n>', 'shards in flight (default: devices x workers, the sessions this worker can feed)', intArg('--concurrency'))
    .option('--lock-duration <seconds>', 'shard lock, renewed every half of it while the shard runs (default: 30)', floatArg('--lock-duration'))
    .option('--stalled-interval <seconds>', 'how often to look for shards of lost workers (default: 30)', floatArg('--stalled-interval'))
    .option('--max-stalled <n>', 'lost workers a shard survives before it is failed (default: 2)', intArg('--max-stalled'))
    .option('--progress-every <n>', 'report job progress every n batches (default: 4)', intArg('--progress-every'))
    .option('--max-models <n>', 'models kept loaded for shards of different runs (default: 2)', intArg('--max-models'))
    .option('--idle-exit <seconds>', 'exit once the queue has had nothing waiting or active this long (default: run until stopped)', floatArg('--idle-exit'))
    .option('-q, --quiet', 'no log lines')
    .addHelpText('after', '\nExample:\n  albert worker --redis redis://queue:6379 --device cuda:0,1\n')
    .action(async (o: Record<string, unknown>) => {
      warnIfOversubscribed(o);
      // Loaded here, not at startup: see queue-commands.ts.
      const { startShardWorker } = await import('../queue/shard-worker.js');
      const w = await startShardWorker({
        ...queueFlags(o),
        device: o.device as string | undefined,
        workers: o.workers as number | undefined,
        threads: o.threads as number | undefined,
        concurrency: o.concurrency as number | undefined,
        lockDurationMs: ms(o.lockDuration),
        stalledIntervalMs: ms(o.stalledInterval),
        maxStalledCount: o.maxStalled as number | undefined,
        progressEveryBatches: o.progressEvery as number | undefined,
        maxModels: o.maxModels as number | undefined,
        idleExitMs: ms(o.idleExit),
        quiet: Boolean(o.quiet),
      });
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        signals++;
        if (signals === 1) {
          process.stderr.write(`albert worker: ${sig}: finishing the running shards (again: hand them back and quit)\n`);
          void w.stop();
        } else if (signals === 2) {
          process.stderr.write(`albert worker: ${sig}: handing the running shards back to the queue\n`);
          process.exitCode = 130;
          w.interrupt();
        } else process.exit(130);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        await w.closed;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
