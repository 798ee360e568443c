import { Command } from 'commander';
import { mergeManifest } from '../pipeline/merge-manifest.js';

export function mergeManifestCommand(): Command {
  return new Command('merge-manifest')
    .description('check that every shard of a sharded run is committed and write the dataset manifest.json')
    .argument('<out>', 'the shared output directory of the run')
    .option('--verify', 're-hash every part and compare with the sha256 its shard recorded')
    .action(async (out: string, o: { verify?: boolean }) => {
      const { manifest, shards, removedTemp } = await mergeManifest(out, { verify: Boolean(o.verify) });
      const cleaned = removedTemp.length > 0 ? ` · removed ${removedTemp.length} abandoned attempt dir${removedTemp.length === 1 ? '' : 's'}` : '';
      process.stderr.write(`merge-manifest: ${shards} shards · ${manifest.rows_in} rows in = ${manifest.rows_out} out + ${manifest.rows_rejected} rejected${cleaned} · ${out}/manifest.json\n`);
    });
}
