import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Jobs start worker threads, which run compiled JavaScript: the library is used from dist/.
import { embedTask, runJob, runStaticShards } from '../../dist/src/index.js';
import { cleanup, readOutput, readRejects, runCli, tempDir, tinyModel } from '../helpers/cli.js';

/** Options as users get them wrong: from the CLI and from the library, for jobs and sharded runs. */
let dir: string;
let model: string;
let noId: string;

beforeAll(() => {
  dir = tempDir();
  model = tinyModel('albert-tiny');
  noId = join(dir, 'no-id.csv');
  writeFileSync(noId, 'text\nfirst row\nsecond row\n');
});
afterAll(() => cleanup(dir));

const common = () => ['--model', model, '--max-length', '64', '--workers', '1', '--threads', '1', '--quiet'];

describe('--id-column', () => {
  it('the default id column may be absent: ids are the row numbers', async () => {
    const out = join(dir, 'default');
    const r = await runCli(['embed', noId, '--out', out, ...common()]);
    expect(r.code, r.stderr).toBe(0);
    expect(readOutput(out).getChild('id')!.toArray()).toEqual(['0', '1']);
  });

  it.each([
    ['a job', []],
    ['a sharded run', ['--shard-count', '1', '--shard-index', '0', '--window-rows', '100', '--shard-rows', '100']],
  ])('named explicitly, even as "id", it must exist (%s)', async (_what, extra) => {
    const out = join(dir, `named-${extra.length}`);
    const r = await runCli(['embed', noId, '--out', out, '--id-column', 'id', ...common(), ...extra]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^albert: ALB_INPUT_MISSING_COLUMN: the header has no column "id" \(--id-column\)/);
  });

  it('in JSONL, a record without the named id field is rejected, the others kept', async () => {
    const input = join(dir, 'ids.jsonl');
    writeFileSync(input, '{"uid":"a","text":"one"}\n{"text":"two"}\n{"uid":"c","text":"three"}\n');
    const out = join(dir, 'jsonl');
    const r = await runCli(['embed', input, '--out', out, '--id-column', 'uid', ...common()]);
    expect(r.code, r.stderr).toBe(0);
    expect(readOutput(out).getChild('id')!.toArray()).toEqual(['a', 'c']);
    expect(readRejects(out)).toEqual([expect.objectContaining({ row: 1, stage: 'read', code: 'ALB_ROW_MISSING_ID' })]);
  });
});

describe('unknown options in the library', () => {
  it('runJob refuses a misspelled task option instead of running with the default', async () => {
    const out = join(dir, 'typo');
    await expect(runJob(embedTask, { input: noId, out, model, poolng: 'cls', quiet: true })).rejects.toMatchObject({
      name: 'OptionError',
      code: 'ALB_OPTION_UNKNOWN',
      message: expect.stringMatching(/unknown option "poolng" \(got "cls"\); did you mean "pooling"\?/),
    });
  });

  it('runStaticShards names the nearest sharding option', async () => {
    await expect(runStaticShards(embedTask, { input: noId, out: join(dir, 'typo-shards'), model, shardCont: 2, shardIndex: 0, quiet: true })).rejects.toMatchObject({
      code: 'ALB_OPTION_UNKNOWN',
      message: expect.stringContaining('did you mean "shardCount"?'),
    });
  });
});
