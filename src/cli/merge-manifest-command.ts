import { Command } from 'commander';
import { mergeManifest, type MergeResult } from '../shards/merge-manifest.js';

export function mergeManifestCommand(): Command {
  return new Command('merge-manifest')
    .description('check that every shard of a sharded run is committed and write the dataset manifest.json')
    .argument('<out>', 'the shared output directory of the run')
    .option('--verify', 're-hash every part and compare with the sha256 its shard recorded')
    .action(async (out: string, o: { verify?: boolean }) => {
      process.stderr.write(mergeSummaryLine(await mergeManifest(out, { verify: Boolean(o.verify) }), out));
    });
}

/** What `albert merge-manifest` (and `albert submit --wait`, which ends with one) prints. */
export function mergeSummaryLine({ manifest, shards, removedTemp }: MergeResult, out: string): string {
  const cleaned = removedTemp.length > 0 ? ` · removed ${removedTemp.length} abandoned attempt dir${removedTemp.length === 1 ? '' : 's'}` : '';
  return `merge-manifest: ${shards} shards · ${manifest.rows_in} rows in = ${manifest.rows_out} out + ${manifest.rows_rejected} rejected${cleaned} · ${out}/manifest.json\n`;
}
