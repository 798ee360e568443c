// Queue mode's public API (re-exported by the package root).
export { QueueError } from './queue-error.js';
export { resolveQueueConnection, type QueueConnectionOptions, type ResolvedQueueConnection } from './queue-options.js';
export { submitShards, type SubmitOptions, type SubmitResult } from './submit-shards.js';
export { startShardWorker, resolveShardWorkerOptions, type ShardWorkerOptions, type ResolvedShardWorker, type RunningShardWorker, type ShardWorkerStats } from './shard-worker.js';
export { runStatus, formatRunStatus, type RunStatus, type RunStatusOptions } from './queue-status.js';
export { retryFailed, type RetryFailedOptions } from './retry-failed.js';
export { waitForRun, type WaitForRunOptions } from './wait-for-run.js';
export type { ShardJobData, ShardJobProgress, ShardJobResult } from './shard-job.js';
