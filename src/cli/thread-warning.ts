import { availableParallelism } from 'node:os';
import { resolveDeviceOptions, type DeviceOptions } from '../pipeline/job-options.js';

/**
 * The warning for more CPU threads than cores (`--workers 64` on a laptop), or null. Not an
 * error: the job still runs, only slower and bigger (each worker holds a copy of the model
 * and contends for the same cores), and someone may mean it. Only for the CPU: on a GPU,
 * the threads mostly wait on the device.
 *
 * Resolves the device options as the job will (same defaults, same errors), so it names the
 * numbers the job really uses.
 *
 * @example
 * ```ts
 * threadWarning({ workers: 8 }); // on 2 cores: 'warning: --workers 8 × --threads 1 (default) = 8 threads on 2 cores; …'
 * ```
 */
export function threadWarning(options: DeviceOptions): string | null {
  const d = resolveDeviceOptions(options);
  if (d.device.ep !== 'cpu') return null;
  const cores = availableParallelism();
  const total = d.devices.length * d.workers * d.threads;
  if (total <= cores) return null;
  const dflt = resolveDeviceOptions({ device: options.device });
  const given = (flag: string, value: number, passed: unknown) => `${flag} ${value}${passed === undefined ? ' (default)' : ''}`;
  return `warning: ${given('--workers', d.workers, options.workers)} × ${given('--threads', d.threads, options.threads)} = ${total} threads on ${cores} core${cores === 1 ? '' : 's'}; ` +
    `expect it slower and bigger (each worker holds a copy of the model); the default is --workers ${dflt.workers} × --threads ${dflt.threads}`;
}

/** Prints {@link threadWarning} to stderr, if there is one. */
export function warnIfOversubscribed(options: Record<string, unknown>): void {
  const warning = threadWarning({
    device: options.device as string | undefined,
    workers: options.workers as number | undefined,
    threads: options.threads as number | undefined,
  });
  if (warning) process.stderr.write(`albert: ${warning}\n`);
}
