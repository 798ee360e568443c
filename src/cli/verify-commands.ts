import { Command, Option } from 'commander';
import { repairJob } from '../pipeline/repair-job.js';
import { verifyOutput } from '../pipeline/verify-output.js';
import { addDeviceFlags, intArg } from './job-flags.js';

/** `albert verify OUT`: are the committed files what the manifest says? Exit 1 (ALB_OUTPUT_CORRUPT) when not. */
export function verifyCommand(): Command {
  return new Command('verify')
    .description("check a job's (or merged dataset's) committed parts and rejects against its manifest: after a crash, a copy or a move")
    .argument('<out>', 'the output directory')
    .addOption(new Option('--verify <level>', 'size: sizes and footers only; full: also every part\'s sha256 (default: full)').choices(['size', 'full']))
    .option('--json', 'print the report as JSON on stdout (exit 1 still when damaged)')
    .action(async (out: string, o: { verify?: 'size' | 'full'; json?: boolean }) => {
      const r = await verifyOutput(out, { level: o.verify ?? 'full', report: Boolean(o.json) });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        if (r.damage.length > 0) process.exitCode = 1;
        return;
      }
      process.stderr.write(`verify: ${r.out}: ${r.parts} part${r.parts === 1 ? '' : 's'}, ${r.rows_out} rows, job ${r.status} · ${r.level === 'full' ? 'sizes, footers and sha256' : 'sizes and footers'} match the manifest · rejects match\n`);
    });
}

/** `albert repair OUT`: redo exactly the damaged parts of a job, as the manifest records it was run. */
export function repairCommand(): Command {
  return addDeviceFlags(
    new Command('repair')
      .description('redo exactly the parts of a job whose files (or rejects lines) are missing or damaged, from its input, with the options its manifest records')
      .argument('<out>', 'the output directory')
      .option('-m, --model <dir>', 'the model folder, if it moved since the job ran (same sha256)'),
  )
    .option('--lock-stale <seconds>', 'a lock on OUT from another host without a heartbeat for this long is stale (default: 600)', intArg('--lock-stale'))
    .option('-q, --quiet', 'no progress or summary on stderr')
    .action(async (out: string, o: { model?: string; device?: string; workers?: number; threads?: number; lockStale?: number; quiet?: boolean }) => {
      const r = await repairJob({ out, model: o.model, device: o.device, workers: o.workers, threads: o.threads, quiet: o.quiet, lockStaleMs: o.lockStale === undefined ? undefined : o.lockStale * 1000 });
      if (o.quiet) return;
      process.stderr.write(
        r.redone.length === 0
          ? `repair: ${r.out}: every committed file matches the manifest; nothing to repair\n`
          : `repair: ${r.out}: redid ${r.redone.join(', ')}; the output matches its manifest again (albert verify ${r.out})\n`,
      );
    });
}
