import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveReadOptions } from '../../src/io/read-source.js';
import { planShards, selectShards } from '../../src/shards/shard-plan.js';
import { cleanup, writeCorpus, readManifestJson, readOutput, runCli, tempDir, tinyModel, vectors } from '../helpers/cli.js';

/** Static sharding (Kubernetes Indexed Jobs, Slurm arrays): N processes, one output. */
let dir: string;
let model: string;
let corpus: string;
const N = 1500;

beforeAll(() => {
  dir = tempDir();
  model = tinyModel('albert-tiny');
  corpus = join(dir, 'corpus.csv');
  writeCorpus(corpus, N, 's', (i) => i % 101 === 7, 7);
});
afterAll(() => cleanup(dir));

const common = () => ['--model', model, '--max-length', '64', '--window-rows', '100', '--workers', '1', '--threads', '1', '--quiet'];

describe('shard planner', () => {
  it('is deterministic, record-aligned and covers every row once', async () => {
    const a = await planShards({ inputs: [corpus], run: 'docs', shardRows: 200, read: resolveReadOptions({}), fingerprint: {} });
    const b = await planShards({ inputs: [corpus], run: 'docs', shardRows: 200, read: resolveReadOptions({}), fingerprint: {} });
    expect(a).toEqual(b);
    expect(a.shards.map((s) => s.id).slice(0, 2)).toEqual(['docs-shard-00000', 'docs-shard-00001']);
    expect(a.shards.reduce((n, s) => n + s.rows, 0)).toBe(N);
    const bytes = readFileSync(corpus);
    a.shards.forEach((s, i) => {
      expect(bytes.subarray(s.startOffset, s.startOffset + 2).toString()).toBe('s-');
      if (i > 0) expect(a.shards[i - 1].endOffset).toBe(s.startOffset);
      expect(s.firstSeq).toBe(i * 200);
    });
    expect(a.shards.at(-1)!.endOffset).toBe(bytes.length);
    const byBytes = await planShards({ inputs: [corpus], run: 'docs', shardBytes: 50_000, read: resolveReadOptions({}), fingerprint: {} });
    expect(byBytes.shards.reduce((n, s) => n + s.rows, 0)).toBe(N);
    expect(selectShards(a, 1, 4).map((s) => s.index)).toEqual([1, 5]);
  });
});

describe('--shard-count N --shard-index I', () => {
  it('4 processes give exactly the single-process output; reruns skip; merge-manifest adds up', async () => {
    const single = join(dir, 'single');
    expect((await runCli(['embed', corpus, '--out', single, ...common(), '--part-rows', '200'])).code).toBe(0);

    const out = join(dir, 'sharded');
    const runs = await Promise.all([0, 1, 2, 3].map((i) => runCli(['embed', corpus, '--out', out, ...common(), '--shard-count', '4', '--shard-index', String(i), '--shard-rows', '200'])));
    runs.forEach((r) => expect(r.code, r.stderr).toBe(0));

    // What a kill -9'd attempt leaves behind: its temp dir, with a footerless part.
    const abandoned = join(out, 'shards', '.tmp-run-shard-00003-deadbeef0000');
    mkdirSync(abandoned);
    writeFileSync(join(abandoned, 'part-run-shard-00003.arrow'), 'ARROW1');
    const early = await runCli(['merge-manifest', out]);
    expect(early.code).toBe(0);
    expect(early.stderr).toContain('removed 1 abandoned attempt dir');
    expect(existsSync(abandoned)).toBe(false);
    const m = readManifestJson(out);
    expect(m).toMatchObject({ status: 'complete', rows_in: N, rows_out: m.rows_in - m.rows_rejected });
    expect(m.rows_rejected).toBe(Array.from({ length: N }, (_, i) => i % 101 === 7).filter(Boolean).length);
    expect(m.parts.map((p: { sha256: string }) => p.sha256)).toEqual(readManifestJson(single).parts.map((p: { sha256: string }) => p.sha256));

    const a = readOutput(single);
    const b = readOutput(out);
    expect(b.getChild('id')!.toArray()).toEqual(a.getChild('id')!.toArray());
    expect(vectors(b, 'embedding')).toEqual(vectors(a, 'embedding'));

    // A rerun (e.g. a Kubernetes retry) finds its shards committed and does nothing.
    const again = await runCli(['embed', corpus, '--out', out, ...common().filter((x) => x !== '--quiet'), '--shard-count', '4', '--shard-index', '2', '--shard-rows', '200']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('0 committed (0 rows), 2 already done');

    // The merged dataset verifies; a shard's part cut short afterwards is found by both
    // `albert verify` and a new merge, each naming the file and saying what to rerun.
    expect((await runCli(['verify', out])).code).toBe(0);
    const part = join(out, m.parts[1].file);
    writeFileSync(part, readFileSync(part).subarray(0, 500));
    const verify = await runCli(['verify', out]);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain(`ALB_OUTPUT_CORRUPT`);
    expect(verify.stderr).toContain(`${m.parts[1].file} is 500 bytes`);
    expect(verify.stderr).toContain('run those shards again');
    const remerge = await runCli(['merge-manifest', out]);
    expect(remerge.code).toBe(1);
    expect(remerge.stderr).toContain(`ALB_MERGE_PART_CHANGED: ${m.parts[1].file} is 500 bytes`);
  });

  it('reads the index from JOB_COMPLETION_INDEX / SLURM_ARRAY_TASK_ID, and merge-manifest refuses while shards are missing', async () => {
    const out = join(dir, 'env');
    const r = await runCli(['embed', corpus, '--out', out, ...common(), '--shard-count', '3', '--shard-rows', '500'], { env: { JOB_COMPLETION_INDEX: '1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(out, 'shards'))).toEqual(['run-shard-00001']);
    const merge = await runCli(['merge-manifest', out]);
    expect(merge.code).toBe(1);
    expect(merge.stderr).toContain('ALB_MERGE_INCOMPLETE: 2 of 3 shards are not committed yet: run-shard-00000, run-shard-00002');
    const slurm = await runCli(['embed', corpus, '--out', out, ...common(), '--shard-count', '3', '--shard-rows', '500'], { env: { SLURM_ARRAY_TASK_ID: '0' } });
    expect(slurm.code).toBe(0);
    expect(readdirSync(join(out, 'shards')).sort()).toEqual(['run-shard-00000', 'run-shard-00001']);
  });

  it('two attempts at the same shard: the first commit wins and the output stays exact', async () => {
    const out = join(dir, 'race');
    const [x, y] = await Promise.all([0, 0].map(() => runCli(['embed', corpus, '--out', out, ...common().filter((a) => a !== '--quiet'), '--shard-count', '1', '--shard-index', '0', '--shard-rows', '500'])));
    expect(x.code).toBe(0);
    expect(y.code).toBe(0);
    expect(readdirSync(join(out, 'shards')).filter((f) => f.startsWith('.tmp'))).toEqual([]);
    expect((await runCli(['merge-manifest', out, '--verify'])).code).toBe(0);
    const ids = readOutput(out).getChild('id')!.toArray() as string[];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refuses a plan made with other options', async () => {
    const out = join(dir, 'plan-mismatch');
    expect((await runCli(['embed', corpus, '--out', out, ...common(), '--shard-count', '2', '--shard-index', '0', '--shard-rows', '500'])).code).toBe(0);
    const r = await runCli(['embed', corpus, '--out', out, ...common(), '--shard-count', '2', '--shard-index', '1', '--shard-rows', '500', '--pooling', 'cls']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ALB_PLAN_MISMATCH');
  });
});
