import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OutputError } from '../errors.js';
import { sha256File } from '../io/durable-file.js';
import { OUTPUT_FORMATS, OUTPUT_FORMAT_NAMES } from '../io/output-formats.js';
import { readManifest, type Manifest, type PartEntry } from './manifest.js';

/** One committed file (or a part's lines in a rejects file) that is not what the manifest recorded. */
export interface Damage {
  /** The file, relative to the output folder. */
  file: string;
  /** Index of the part it belongs to (its file, or its rejects lines). */
  part: number;
  problem: string;
}

/** `size`: sizes and footers (fast, the default before a resume); `full`: also every part's sha256. */
export type VerifyLevel = 'size' | 'full';

/**
 * Checks every committed file of a job (or of a merged sharded dataset) against its
 * manifest: each part exists as a regular file of the recorded size with a readable
 * footer (and, at `full`, the recorded sha256), and each part's lines in the rejects
 * file(s) hash to what was committed. Returns the damage found, part by part; empty when
 * the output is whole.
 *
 * @example
 * ```ts
 * const damage = await findDamage('out/docs', manifest, 'full');
 * if (damage.length) throw damageError('out/docs', manifest, damage, 'albert verify');
 * ```
 */
export async function findDamage(out: string, m: Manifest, level: VerifyLevel): Promise<Damage[]> {
  const damage: Damage[] = [];
  for (const [i, p] of m.parts.entries()) {
    const problem = await partProblem(join(out, p.file), p, level);
    if (problem) damage.push({ file: p.file, part: i, problem });
  }
  damage.push(...(await rejectsDamage(out, m)));
  return damage.sort((a, b) => a.part - b.part);
}

async function partProblem(path: string, p: PartEntry, level: VerifyLevel): Promise<string | null> {
  const st = await lstat(path).catch(() => null);
  if (!st) return 'is missing';
  if (st.isSymbolicLink()) return 'is a symlink, not the file the job wrote';
  if (!st.isFile()) return 'is not a regular file';
  if (st.size !== p.bytes) return `is ${st.size} bytes; the manifest recorded ${p.bytes}`;
  const format = OUTPUT_FORMAT_NAMES.map((f) => OUTPUT_FORMATS[f]).find((f) => p.file.endsWith(f.extension));
  const footer = format ? await format.check(path).catch((err: Error) => `cannot be read: ${err.message}`) : null;
  if (footer) return footer;
  if (level === 'full' && (await sha256File(path)) !== p.sha256) return 'has the recorded size, but its sha256 differs from the manifest (bytes changed in place)';
  return null;
}

/** Each part's rejects lines, read back at their recorded offset and hashed. */
async function rejectsDamage(out: string, m: Manifest): Promise<Damage[]> {
  const damage: Damage[] = [];
  const handles = new Map<string, FileHandle | null>();
  try {
    for (const [i, p] of m.parts.entries()) {
      const r = p.rejects;
      if (r.bytes === 0) continue;
      if (!handles.has(r.file)) handles.set(r.file, await open(join(out, r.file), constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null));
      const fh = handles.get(r.file)!;
      if (!fh) {
        damage.push({ file: r.file, part: i, problem: `is missing (it held the ${p.rejected} rejects of ${p.file})` });
        continue;
      }
      const buf = Buffer.alloc(r.bytes);
      const { bytesRead } = await fh.read(buf, 0, r.bytes, r.offset);
      if (bytesRead < r.bytes) {
        const size = (await fh.stat()).size;
        damage.push({ file: r.file, part: i, problem: `is ${size} bytes, too short for the rejects of ${p.file} (bytes ${r.offset}-${r.offset + r.bytes})` });
      } else if (createHash('sha256').update(buf).digest('hex') !== r.sha256) {
        damage.push({ file: r.file, part: i, problem: `bytes ${r.offset}-${r.offset + r.bytes} (the rejects of ${p.file}) differ from what was committed` });
      }
    }
  } finally {
    for (const fh of handles.values()) await fh?.close();
  }
  return damage;
}

/**
 * The error for damaged output: what is wrong with each file, and the command that
 * repairs it (`albert repair OUT` for a job; for a merged dataset, rerunning the shards).
 */
export function damageError(out: string, m: Manifest, damage: readonly Damage[], during: string): OutputError {
  const shown = damage.slice(0, 5).map((d) => `${d.file} ${d.problem}`).join('; ');
  const more = damage.length > 5 ? `; and ${damage.length - 5} more` : '';
  const parts = [...new Set(damage.map((d) => d.part))];
  const fix = m.rerun
    ? `run \`albert repair ${out}\` to redo exactly ${parts.length === 1 ? 'that part' : `those ${parts.length} parts`}`
    : 'remove the damaged shards\' folders under shards/, run those shards again, then `albert merge-manifest`';
  return new OutputError('ALB_OUTPUT_CORRUPT', `${during}: ${out} holds committed files that are not what its manifest recorded: ${shown}${more}; ${fix}`, {
    out,
    damage: damage.map((d) => ({ ...d })),
  });
}

export interface VerifyReport {
  out: string;
  task: string;
  status: Manifest['status'];
  parts: number;
  rows_out: number;
  level: VerifyLevel;
  damage: Damage[];
}

/**
 * `albert verify OUT`: reads the manifest (schema and checksum checked) and checks every
 * committed file against it; what a user runs after copying an output between machines.
 * Throws ALB_OUTPUT_CORRUPT, naming each damaged file and the repair, unless `report` is
 * set, when the damage is returned instead.
 *
 * @example
 * ```ts
 * const r = await verifyOutput('out/docs', { level: 'full' }); // { parts: 7, damage: [], ... }
 * ```
 */
export async function verifyOutput(outDir: string, o: { level?: VerifyLevel; report?: boolean } = {}): Promise<VerifyReport> {
  const out = resolve(outDir);
  const m = await readManifest(out);
  if (!m) throw new OutputError('ALB_RESUME_NO_JOB', `albert verify: ${out} has no manifest.json: there is no job output to verify`, { out });
  const level = o.level ?? 'full';
  const damage = await findDamage(out, m, level);
  if (damage.length > 0 && !o.report) throw damageError(out, m, damage, 'albert verify');
  return { out, task: m.task, status: m.status, parts: m.parts.length, rows_out: m.rows_out, level, damage };
}
