import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Worker threads run compiled JavaScript, so the job runs from dist/ (npm test builds first).
import { AlbertError, embedTask, repairJob, runJob, verifyOutput } from '../../dist/src/index.js';
import { CLI, ROOT, cleanup, readOutput, runCli, tempDir, tinyModel, writeCorpus, type CliResult } from '../helpers/cli.js';
import { mulberry32, testSeed } from '../helpers/seeded-random.js';

/**
 * Issue 15's randomized fault test. Each run kills a job with SIGKILL at a random moment,
 * damages one committed file at random (truncated, a byte flipped, deleted, or grown), and
 * edits the input at random (before or after the resume point, or appends rows), then
 * resumes. Every run must end byte-identical (rows, embeddings, rejects) to a clean run on
 * the input as it now is: at once, or after the refusal it gets (with the right code) and
 * the command that refusal names. Never a silent difference.
 */
const RUNS = 20;
const N = 600;
let dir: string;
let model: string;
let corpus: string;
const flags = () => ['--model', model, '--max-length', '64', '--batch-tokens', '512', '--window-rows', '25', '--part-rows', '100', '--workers', '1', '--threads', '1', '--quiet'];
const jobOptions = () => ({ model, maxLength: 64, batchTokens: 512, windowRows: 25, partRows: 100, workers: 1, threads: 1, quiet: true });
/** How long an uninterrupted CLI run takes here, measured once: the kill lands anywhere in it. */
let runMs = 0;
/** A clean run on the unedited corpus. */
let original: string;

beforeAll(async () => {
  dir = tempDir();
  model = tinyModel('albert-tiny');
  corpus = join(dir, 'corpus.csv');
  writeCorpus(corpus, N, 'doc', (i) => i % 41 === 7);
  const t0 = Date.now();
  original = join(dir, 'original');
  const r = await runCli(['embed', corpus, '--out', original, ...flags()]);
  expect(r.code, r.stderr).toBe(0);
  runMs = Date.now() - t0;
}, 120_000);
afterAll(() => cleanup(dir));

/** The job's rows as bytes: ids, embeddings and rejects lines. */
function contentOf(out: string): { ids: string[]; embedding: Buffer; rejects: Buffer } {
  const t = readOutput(out);
  const col = t.getChild('embedding')!;
  const embedding = Buffer.concat(col.data.map((d) => Buffer.from((d.children[0].values as Float32Array).slice(d.offset * d.type.listSize, (d.offset + d.length) * d.type.listSize).buffer)));
  const rejectsFile = join(out, 'rejects.jsonl');
  return { ids: t.getChild('id')!.toArray() as string[], embedding, rejects: existsSync(rejectsFile) ? readFileSync(rejectsFile) : Buffer.alloc(0) };
}

/** An outcome as the CLI would report it: exit 0, or 1 with `albert: CODE: message`. */
async function outcome(p: Promise<unknown>): Promise<{ code: number; stderr: string }> {
  try {
    await p;
    return { code: 0, stderr: '' };
  } catch (err) {
    if (!(err instanceof AlbertError)) throw err;
    return { code: 1, stderr: `albert: ${err.code}: ${err.message}` };
  }
}

/** Starts the CLI and SIGKILLs it after `ms` (if it is still running). */
function killedRun(args: string[], ms: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: '', stderr });
    });
  });
}

type Rand = () => number;
const pick = <T,>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** Damages one committed file; says what it did, or null when nothing was committed. */
function damageOne(r: Rand, out: string): { what: string; file: string } | null {
  if (!existsSync(join(out, 'manifest.json'))) return null;
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { parts: Array<{ file: string }>; rejects: { bytes: number } };
  const files = [...m.parts.map((p) => p.file), ...(m.rejects.bytes > 0 ? ['rejects.jsonl'] : [])];
  if (files.length === 0) return null;
  const file = pick(r, files);
  const path = join(out, file);
  const size = statSync(path).size;
  const how = pick(r, ['truncate', 'flip', 'delete', 'grow'] as const);
  if (how === 'truncate') truncateSync(path, Math.floor(r() * size));
  else if (how === 'delete') unlinkSync(path);
  else if (how === 'grow') writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from('garbage\n')]));
  else {
    const bytes = readFileSync(path);
    bytes[Math.floor(r() * size)] ^= 1 << Math.floor(r() * 8);
    writeFileSync(path, bytes);
  }
  return { what: `${how} ${file}`, file };
}

/** Edits the input; says what, and whether the edit touched bytes the job had committed. */
function editInput(r: Rand, input: string, out: string): { what: string; committed: boolean } {
  const bytes = readFileSync(input);
  let committedTo = 0;
  if (existsSync(join(out, 'manifest.json'))) {
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { parts: Array<{ input: { end: number } | null }> };
    committedTo = m.parts.at(-1)?.input?.end ?? 0;
  }
  const how = pick(r, ['none', 'before', 'after', 'append'] as const);
  if (how === 'none') return { what: 'input unchanged', committed: false };
  if (how === 'append') {
    writeFileSync(input, Buffer.concat([bytes, Buffer.from('extra-1,one more row\nextra-2,and another\n')]));
    return { what: 'rows appended', committed: false };
  }
  const [from, to] = how === 'before' ? [0, committedTo] : [committedTo, bytes.length];
  if (to <= from) return { what: `input unchanged (nothing ${how} the resume point)`, committed: false };
  const at = from + Math.floor(r() * (to - from));
  // A letter for a letter keeps the CSV's shape; the row's text (or id) differs.
  bytes[at] = bytes[at] === 0x71 ? 0x78 : 0x71;
  writeFileSync(input, bytes);
  return { what: `byte ${at} changed (${how} the resume point at ${committedTo})`, committed: how === 'before' };
}

describe('kill -9, damage, edit, resume: never a silent difference', () => {
  it(`${RUNS} seeded runs end identical to a clean run, or refused with the right code and fixed by the command named`, async () => {
    const seed = testSeed();
    console.log(`fault-randomized: seed ${seed} (rerun with ALBERT_TEST_SEED=${seed}); an uninterrupted run takes ${runMs} ms`);
    const r = mulberry32(seed);
    for (let run = 0; run < RUNS; run++) {
      const input = join(dir, `input-${run}.csv`);
      const out = join(dir, `out-${run}`);
      cpSync(corpus, input);
      const killAt = Math.round(300 + r() * runMs);
      await killedRun(['embed', input, '--out', out, ...flags()], killAt);
      const damage = damageOne(r, out);
      const edit = editInput(r, input, out);
      const story = `run ${run}: kill at ${killAt} ms, ${damage?.what ?? 'nothing committed to damage'}, ${edit.what}`;
      const steps: string[] = [];
      // The kill is a real process; the recovery runs through the library (the CLI prints the same errors).
      const resume = () => outcome(runJob(embedTask, { input, out, ...jobOptions(), resume: true, verify: 'full' }));
      let res = await resume();
      steps.push(`resume: ${res.code} ${firstCode(res.stderr)}`);
      // A grown rejects.jsonl is an uncommitted tail to a resume (cut back); anything else damaged is refused.
      const refusedForDamage = damage !== null && !(damage.file === 'rejects.jsonl' && damage.what.startsWith('grow'));
      if (refusedForDamage) {
        expect(res.code, `${story}: ${steps.join(' → ')}\n${res.stderr}`).toBe(1);
        expect(res.stderr, story).toContain('ALB_OUTPUT_CORRUPT');
        expect(res.stderr, story).toContain(`albert repair ${out}`);
        res = await outcome(repairJob({ out, quiet: true, workers: 1, threads: 1 }));
        steps.push(`repair: ${res.code} ${firstCode(res.stderr)}`);
        if (edit.committed && res.code !== 0) {
          expect(res.stderr, story).toContain('ALB_RESUME_INPUT_CHANGED');
        } else {
          expect(res.code, `${story}: ${steps.join(' → ')}\n${res.stderr}`).toBe(0);
          res = await resume();
          steps.push(`resume: ${res.code} ${firstCode(res.stderr)}`);
        }
      }
      if (edit.committed && res.code !== 0) {
        expect(res.stderr, `${story}: ${steps.join(' → ')}`).toContain('ALB_RESUME_INPUT_CHANGED');
        expect(res.stderr, story).toContain('--overwrite');
        res = await outcome(runJob(embedTask, { input, out, ...jobOptions(), overwrite: true }));
        steps.push(`overwrite: ${res.code}`);
      }
      expect(res.code, `${story}: ${steps.join(' → ')}\n${res.stderr}`).toBe(0);
      // The input as it now is, run clean (the original's clean run serves when it is unchanged).
      let clean = original;
      if (readFileSync(input).compare(readFileSync(corpus)) !== 0) {
        clean = join(dir, `clean-${run}`);
        await runJob(embedTask, { input, out: clean, ...jobOptions() });
      }
      const got = contentOf(out);
      const want = contentOf(clean);
      expect(got.ids, story).toEqual(want.ids);
      expect(got.embedding.equals(want.embedding), `${story}: embeddings differ`).toBe(true);
      expect(got.rejects.equals(want.rejects), `${story}: rejects differ`).toBe(true);
      expect((await verifyOutput(out)).damage, story).toEqual([]);
      expect(readdirSync(out).filter((f) => f.endsWith('.tmp') || f.startsWith('albert.lock')), story).toEqual([]);
      console.log(`${story}: ${steps.join(' → ')} → identical`);
    }
  }, 900_000);
});

function firstCode(stderr: string): string {
  return /ALB_[A-Z0-9_]+/.exec(stderr)?.[0] ?? '';
}
