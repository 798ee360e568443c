import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OutputError } from '../errors.js';
import { toOutputError } from '../io/output-errors.js';
import { JOB_PART_FILE } from '../io/output-formats.js';
import { MANIFEST_FILE, REJECTS_FILE, readManifest, type Manifest } from './manifest.js';
import { LOCK_FILE } from './output-lock.js';

/** The lock and its temp files: the running job's own, never a leftover to clean. */
function isLockFile(name: string): boolean {
  return name === LOCK_FILE || name.startsWith(`${LOCK_FILE}.`);
}

/** Temp files of the commit protocol: never complete, always safe to remove. */
function isJobTemp(name: string): boolean {
  return name === `${MANIFEST_FILE}.tmp` || name === `${REJECTS_FILE}.tmp` || (JOB_PART_FILE.test(name) && name.endsWith('.tmp'));
}

function isFirstPart(name: string): boolean {
  return JOB_PART_FILE.test(name) && name.startsWith('part-00000.');
}

/**
 * `--out` as a directory we may write in: created (with its parents) when missing, and
 * then `created`. A symlinked `--out` is refused (we never follow links out of it), as is a file.
 */
export async function ensureOutputDir(out: string): Promise<{ dir: string; created: boolean }> {
  const dir = resolve(out);
  let st;
  try {
    st = await lstat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw toOutputError(err, dir);
    await mkdir(dir, { recursive: true }).catch((e) => { throw toOutputError(e, dir); });
    return { dir, created: true };
  }
  if (st.isSymbolicLink()) {
    throw new OutputError('ALB_OUTPUT_SYMLINK', `--out ${dir} is a symlink; refusing to write through it (pass the real directory)`, { option: '--out', out: dir });
  }
  if (!st.isDirectory()) throw new OutputError('ALB_OUTPUT_NOT_DIR', `--out ${dir} exists and is not a directory`, { option: '--out', out: dir });
  return { dir, created: false };
}

/**
 * Gets `--out` ready: a fresh directory, a job to resume, or a job to discard. Refuses a
 * directory that already holds something, unless --resume or --overwrite says what to do
 * with it. Removes only what a job writes: the files its manifest lists, the part it may
 * have renamed just before a crash, and temp files; a user's own files stay, whatever
 * their names (the caller holds the lock, so no other job's files are in flight).
 */
export async function prepareOutputDir(out: string, mode: { resume: boolean; overwrite: boolean }): Promise<Manifest | null> {
  const { dir } = await ensureOutputDir(out);
  const entries = (await readdir(dir).catch((e) => { throw toOutputError(e, dir); })).filter((name) => !isLockFile(name));
  if (mode.overwrite) {
    await discardJob(dir, entries);
    return null;
  }
  if (mode.resume) {
    const manifest = await readManifest(dir);
    if (!manifest) {
      // A job killed between renaming its first part and writing its first manifest leaves
      // part-00000, and the first part's lines of rejects.jsonl (appended and fsynced just
      // before that manifest): neither was ever committed, like a temp file.
      const foreign = entries.filter((name) => !isJobTemp(name) && !isFirstPart(name) && name !== REJECTS_FILE);
      if (foreign.length > 0) {
        throw new OutputError('ALB_RESUME_NO_JOB', `--resume: ${dir} has no ${MANIFEST_FILE} but holds ${foreign.slice(0, 3).join(', ')}; there is no job to resume (use --overwrite, or another --out)`, { option: '--resume', out: dir });
      }
      for (const name of entries) await unlink(join(dir, name));
      return null;
    }
    await dropUncommitted(dir, entries, manifest);
    return manifest;
  }
  if (entries.length > 0) {
    const job = entries.includes(MANIFEST_FILE) ? 'already holds a job' : `is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''})`;
    throw new OutputError('ALB_OUTPUT_NOT_EMPTY', `--out ${dir} ${job}; pass --resume to continue it or --overwrite to replace it`, { option: '--out', out: dir });
  }
  return null;
}

/**
 * --overwrite: removes the job in `dir`. With a readable manifest, exactly the files it
 * lists, plus temp files and the part a crash may have renamed before listing it. With
 * none (or a damaged one), the files a job would write under the names it gives them.
 */
async function discardJob(dir: string, entries: readonly string[]): Promise<void> {
  const manifest = await readManifest(dir).catch(() => null);
  const remove = new Set<string>();
  for (const name of entries) {
    if (isJobTemp(name)) remove.add(name);
    else if (name === MANIFEST_FILE || name === REJECTS_FILE) remove.add(name);
    else if (!manifest && JOB_PART_FILE.test(name)) remove.add(name);
  }
  if (manifest) {
    for (const p of manifest.parts) if (entries.includes(p.file)) remove.add(p.file);
    const leftover = crashLeftover(manifest, entries);
    if (leftover) remove.add(leftover);
  }
  for (const name of remove) await unlink(join(dir, name)).catch((e) => { throw toOutputError(e, join(dir, name)); });
}

/** The part a run renamed into place but died before listing: the next one's name, unlisted. */
function crashLeftover(manifest: Manifest, entries: readonly string[]): string | null {
  const listed = new Set(manifest.parts.map((p) => p.file));
  const next = `part-${String(manifest.parts.length).padStart(5, '0')}`;
  return entries.find((name) => name.startsWith(`${next}.`) && JOB_PART_FILE.test(name) && !name.endsWith('.tmp') && !listed.has(name)) ?? null;
}

/**
 * Removes what a killed run left that the manifest does not list (temp files, a part
 * renamed just before the crash), and cuts rejects.jsonl back to its committed length.
 * A rejects file shorter than that is left as it is, for the integrity check to report:
 * truncating "up" would pad it with NUL bytes.
 */
async function dropUncommitted(dir: string, entries: readonly string[], manifest: Manifest): Promise<void> {
  for (const name of entries) if (isJobTemp(name)) await unlink(join(dir, name));
  const leftover = crashLeftover(manifest, entries);
  if (leftover) await unlink(join(dir, leftover));
  const rejects = join(dir, REJECTS_FILE);
  try {
    const fh = await open(rejects, constants.O_RDWR | constants.O_NOFOLLOW);
    try {
      const { size } = await fh.stat();
      if (size > manifest.rejects.bytes) {
        await fh.truncate(manifest.rejects.bytes);
        await fh.sync();
      }
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw toOutputError(err, rejects);
  }
}
