/**
 * What commander refuses while parsing comes out like our own option errors:
 * `albert: CODE: message` naming the option and the value, exit 2. Help and version
 * still print and exit 0. Through the real CLI (run `npm run build` first).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

const input = join(ROOT, 'data', 'sample.csv');
// Never created: every command here fails while parsing.
const out = join(tmpdir(), 'albert-parse-errors-never-written');

describe('parser errors are option errors', () => {
  it.each([
    ['a value outside --pooling choices', ['embed', input, '--out', out, '--pooling', 'foo'],
      /^albert: ALB_OPTION_INVALID: option --pooling: expected one of mean, cls, max, pooler, none, got "foo"\n$/],
    ['a choice flag without its value', ['embed', input, '--out', out, '--pooling'],
      /^albert: ALB_OPTION_INVALID: option --pooling: expected one of mean, cls, max, pooler, none, got no value\n$/],
    ['a flag without its value', ['embed', input, '--out'],
      /^albert: ALB_OPTION_INVALID: option --out: expected <dir>, got no value\n$/],
    ['an integer flag given a word', ['embed', input, '--out', out, '--workers', 'many'],
      /^albert: ALB_OPTION_INVALID: option --workers: expected an integer, got "many"\n$/],
    ['a number flag given a word', ['embed', input, '--out', out, '--batch-timeout', 'soon'],
      /^albert: ALB_OPTION_INVALID: option --batch-timeout: expected a number, got "soon"\n$/],
    ['a convert --task outside its choices', ['convert', 'hf', 'out', '--task', 'ner'],
      /^albert: ALB_OPTION_INVALID: option --task: expected one of base, mlm, cls, pretraining, got "ner"\n$/],
    ['one argument too many', ['embed', input, 'extra.csv', '--out', out],
      /^albert: ALB_OPTION_INVALID: `albert embed` takes 1 argument \(<input>\), got 2: ".*sample\.csv", "extra\.csv"\n$/],
  ])('%s: ALB_OPTION_INVALID, exit 2', async (_what, args, stderr) => {
    const r = await runCli(args);
    expect(r.stderr).toMatch(stderr);
    expect(r).toMatchObject({ code: 2, stdout: '' });
  });

  it.each([
    ['an unknown option', ['embed', input, '--out', out, '--poolng', 'cls'],
      /^albert: ALB_OPTION_UNKNOWN: unknown option --poolng \(did you mean --pooling\?\); `albert embed --help` lists the options\n$/],
    ['an unknown option of a nested command', ['submit', 'embed', input, '--out', out, '--run', 'r', '--bogus'],
      /^albert: ALB_OPTION_UNKNOWN: unknown option --bogus; `albert submit embed --help` lists the options\n$/],
    ['an unknown command', ['embedd', input],
      /^albert: ALB_OPTION_UNKNOWN: unknown command "embedd" \(did you mean embed\?\); `albert --help` lists the commands\n$/],
  ])('%s: ALB_OPTION_UNKNOWN, exit 2', async (_what, args, stderr) => {
    const r = await runCli(args);
    expect(r.stderr).toMatch(stderr);
    expect(r).toMatchObject({ code: 2, stdout: '' });
  });

  it.each([
    ['a missing required argument', ['embed', '--out', out],
      /^albert: ALB_OPTION_MISSING: missing argument <input>, got none \(usage: albert embed \[options\] <input>\)\n$/],
    ['a missing argument of convert', ['convert', 'hf'],
      /^albert: ALB_OPTION_MISSING: missing argument <out-folder>, got none \(usage: albert convert \[options\] <hf-folder> <out-folder>\)\n$/],
    ['a missing required option', ['embed', input],
      /^albert: ALB_OPTION_MISSING: missing option --out, got none; -o, --out <dir>: output directory/],
  ])('%s: ALB_OPTION_MISSING, exit 2', async (_what, args, stderr) => {
    const r = await runCli(args);
    expect(r.stderr).toMatch(stderr);
    expect(r).toMatchObject({ code: 2, stdout: '' });
  });

  it.each([
    ['--help', ['--help'], /^Usage: albert \[options\] \[command\]/],
    ['embed --help', ['embed', '--help'], /^Usage: albert embed \[options\] <input>/],
    ['help embed', ['help', 'embed'], /^Usage: albert embed \[options\] <input>/],
    ['--version', ['--version'], /^\d+\.\d+\.\d+\n$/],
  ])('%s prints on stdout and exits 0', async (_what, args, stdout) => {
    const r = await runCli(args);
    expect(r.stdout).toMatch(stdout);
    expect(r).toMatchObject({ code: 0, stderr: '' });
  });

  it('albert with no command prints the help on stderr and exits 1, as before', async () => {
    const r = await runCli([]);
    expect(r.stderr).toMatch(/^Usage: albert \[options\] \[command\]/);
    expect(r).toMatchObject({ code: 1, stdout: '' });
  });
});
