import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/io/durable-file.js';
import { OUTPUT_FORMATS } from '../../src/io/output-formats.js';
import { isShardCommitted, ShardCommitter, SHARDS_DIR } from '../../src/shards/shard-committer.js';
import type { ShardSpec } from '../../src/shards/shard-plan.js';
import { finishedWindow, schema } from '../helpers/windows.js';

const root = mkdtempSync(join(tmpdir(), 'albert-shard-committer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const shard: ShardSpec = { id: 'run-shard-00001', index: 1, input: '/in.csv', startOffset: 100, endOffset: 200, firstSeq: 10, rows: 10 };
const meta = { task: 'test', fingerprint: { a: 1 }, elapsedS: 1, ep: 'cpu' };

describe('ShardCommitter', () => {
  it('commits part, rejects and shard.json in one rename; a second attempt loses the race and leaves no trace', async () => {
    const out = join(root, 'race');
    mkdirSync(join(out, SHARDS_DIR), { recursive: true });
    const a = new ShardCommitter(out, OUTPUT_FORMATS.arrow, schema, shard);
    const b = new ShardCommitter(out, OUTPUT_FORMATS.arrow, schema, shard);
    for (const c of [a, b]) await c.append(finishedWindow(10, 20, [14]));
    expect(await isShardCommitted(out, shard.id)).toBe(false);
    const first = await a.commit(meta);
    const second = await b.commit(meta);
    expect([first.won, second.won]).toEqual([true, false]);
    expect(readdirSync(join(out, SHARDS_DIR))).toEqual([shard.id]);
    const dir = join(out, SHARDS_DIR, shard.id);
    expect(readdirSync(dir).sort()).toEqual(['part-run-shard-00001.arrow', 'rejects-run-shard-00001.jsonl', 'shard.json']);
    const record = JSON.parse(readFileSync(join(dir, 'shard.json'), 'utf8'));
    expect(record).toMatchObject({ rows_in: 10, rows_out: 9, rows_rejected: 1, tokens: 27, counts: { even: 4 }, rejects: { count: 1, by_code: { ALB_ROW_EMPTY_TEXT: 1 } } });
    expect(record.part.sha256).toBe(await sha256File(join(dir, record.part.file)));
    expect(tableFromIPC(readFileSync(join(dir, record.part.file))).numRows).toBe(9);
  });

  it('a shard whose rows were all rejected commits an empty part', async () => {
    const out = join(root, 'empty');
    mkdirSync(join(out, SHARDS_DIR), { recursive: true });
    const c = new ShardCommitter(out, OUTPUT_FORMATS.arrow, schema, { ...shard, rows: 2, firstSeq: 0 });
    await c.append(finishedWindow(0, 2, [0, 1]));
    const { won, record } = await c.commit(meta);
    expect(won).toBe(true);
    expect(record).toMatchObject({ rows_out: 0, rows_rejected: 2 });
    expect(tableFromIPC(readFileSync(join(out, SHARDS_DIR, shard.id, record.part.file))).numRows).toBe(0);
  });

  it('refuses to commit rows that do not add up to the plan (the input changed)', async () => {
    const out = join(root, 'accounting');
    mkdirSync(join(out, SHARDS_DIR), { recursive: true });
    const c = new ShardCommitter(out, OUTPUT_FORMATS.arrow, schema, shard);
    await c.append(finishedWindow(10, 15));
    await expect(c.commit(meta)).rejects.toMatchObject({ code: 'ALB_SHARD_ACCOUNTING' });
  });

  it('abandon removes the attempt directory', async () => {
    const out = join(root, 'abandon');
    mkdirSync(join(out, SHARDS_DIR), { recursive: true });
    const c = new ShardCommitter(out, OUTPUT_FORMATS.arrow, schema, shard);
    await c.append(finishedWindow(10, 20));
    expect(readdirSync(join(out, SHARDS_DIR))).toHaveLength(1);
    await c.abandon();
    expect(readdirSync(join(out, SHARDS_DIR))).toEqual([]);
    expect(existsSync(join(out, SHARDS_DIR, shard.id))).toBe(false);
  });
});
