import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/pipeline/manifest.js';
import { readPlan } from '../../src/shards/shard-plan.js';

/** plan.json and manifest.json are read the same way: no symlinks followed, coded errors. */
const root = mkdtempSync(join(tmpdir(), 'albert-plan-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function dirWith(name: string, file: string, content: string | null, link = false): string {
  const dir = join(root, name);
  mkdirSync(dir);
  if (content === null) return dir;
  if (link) {
    writeFileSync(join(root, `${name}-target.json`), content);
    symlinkSync(join(root, `${name}-target.json`), join(dir, file));
  } else writeFileSync(join(dir, file), content);
  return dir;
}

describe.each([
  ['readPlan', 'plan.json', readPlan, 'ALB_PLAN_INVALID', 'plan again'],
  ['readManifest', 'manifest.json', readManifest, 'ALB_MANIFEST_INVALID', '--overwrite'],
] as const)('%s', (name, file, read, invalid, whatToDo) => {
  it('is null where there is no file', async () => {
    expect(await read(dirWith(`${name}-none`, file, null))).toBeNull();
  });

  it('refuses a symlink with ALB_OUTPUT_SYMLINK', async () => {
    await expect(read(dirWith(`${name}-link`, file, '{}', true))).rejects.toMatchObject({ code: 'ALB_OUTPUT_SYMLINK' });
  });

  it.each([['{ broken'], ['null'], ['[1, 2]']])('refuses %j with its own code and what to do', async (text) => {
    await expect(read(dirWith(`${name}-bad-${text.length}`, file, text))).rejects.toMatchObject({ code: invalid, message: expect.stringContaining(whatToDo) });
  });

  it('refuses a JSON object of another format', async () => {
    await expect(read(dirWith(`${name}-other`, file, '{"format":"x"}'))).rejects.toMatchObject({ code: invalid });
  });
});
