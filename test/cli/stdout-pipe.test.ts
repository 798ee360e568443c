/**
 * `albert … | head`: a reader that goes away ends the command quietly with exit 0, without
 * an EPIPE stack, as `cat` and `grep` do. Through the real CLI and a real pipe.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, cleanup, tempDir, tinyModel, writeCorpus } from '../helpers/cli.js';

const dir = tempDir('albert-pipe-');
afterAll(() => cleanup(dir));
const big = join(dir, 'big.csv');
// Far more than a pipe holds (64 KiB): tokenize is still writing when the reader leaves.
writeCorpus(big, 20_000, 'p');

interface Closed { code: number | null; signal: NodeJS.Signals | null; stderr: string; lines: number }

/**
 * Runs the CLI with stdout on a pipe we close: after the first chunk of data, or at once
 * (before a one-shot command such as inspect has written anything).
 */
function runAndHangUp(args: string[], when: 'after-first-data' | 'at-once'): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let lines = 0;
    child.stderr.on('data', (d) => (stderr += d));
    if (when === 'at-once') child.stdout.destroy();
    else child.stdout.once('data', (d: Buffer) => { lines = d.toString().split('\n').length - 1; child.stdout.destroy(); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr, lines }));
  });
}

describe('a closed stdout ends the command quietly', () => {
  it('tokenize, still writing when the reader leaves: exit 0, nothing on stderr', async () => {
    const r = await runAndHangUp(['tokenize', big], 'after-first-data');
    expect(r.lines).toBeGreaterThan(0);
    expect(r.stderr).not.toMatch(/EPIPE|unexpected error/);
    expect(r.stderr).toBe('');
    expect(r, r.stderr).toMatchObject({ code: 0, signal: null });
  });

  it('through a shell, as in the README (`albert tokenize … | head -2`): exit 0', async () => {
    // POSIX sh has no PIPESTATUS: the CLI's own status goes to a file.
    const rc = join(dir, 'rc');
    const errFile = join(dir, 'err');
    const shell = `{ "${process.execPath}" "${CLI}" tokenize "${big}" 2>"${errFile}"; echo $? >"${rc}"; } | head -2`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('sh', ['-c', shell], { cwd: ROOT });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.on('error', reject);
      child.on('close', () => resolve(stdout));
    });
    expect(out.trim().split('\n')).toHaveLength(2);
    expect(readFileSync(errFile, 'utf8')).toBe('');
    expect(readFileSync(rc, 'utf8').trim()).toBe('0');
  });

  it.each([
    ['inspect', ['inspect', join(ROOT, 'models', 'albert-mini')]],
    ['inspect --json', ['inspect', join(ROOT, 'models', 'albert-mini'), '--json']],
    ['doctor --json', ['doctor', '--json', '--model', tinyModel('albert-tiny')]],
  ])('%s, with the reader gone before it writes: exit 0, no EPIPE', async (_name, args) => {
    const r = await runAndHangUp(args, 'at-once');
    expect(r.stderr).not.toMatch(/EPIPE|unexpected error/);
    expect(r, r.stderr).toMatchObject({ code: 0, signal: null });
  });
});
