import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OutputError } from '../errors.js';
import { toOutputError } from '../io/output-errors.js';
import { PART_FILE } from '../io/output-formats.js';
import { MANIFEST_FILE, REJECTS_FILE, readManifest, type Manifest } from './manifest.js';

/** The files a job writes into --out (and their temp files): what --overwrite and --resume may remove. */
function isJobFile(name: string): boolean {
  return name === MANIFEST_FILE || name === `${MANIFEST_FILE}.tmp` || name === REJECTS_FILE || name === `${REJECTS_FILE}.tmp` || PART_FILE.test(name);
}

/**
 * Gets `--out` ready: a fresh directory, a job to resume, or a job to discard.
 * Refuses a symlinked `--out` (we never follow links out of it) and a directory that
 * already holds something, unless --resume or --overwrite says what to do with it.
 */
export async function prepareOutputDir(out: string, mode: { resume: boolean; overwrite: boolean }): Promise<Manifest | null> {
  const dir = resolve(out);
  let st;
  try {
    st = await lstat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw toOutputError(err, dir);
    // --resume with nothing committed yet (the job died before its first part) starts afresh.
    await mkdir(dir, { recursive: true }).catch((e) => { throw toOutputError(e, dir); });
    return null;
  }
  if (st.isSymbolicLink()) {
    throw new OutputError('ALB_OUTPUT_SYMLINK', `--out ${dir} is a symlink; refusing to write through it (pass the real directory)`, { option: '--out', out: dir });
  }
  if (!st.isDirectory()) throw new OutputError('ALB_OUTPUT_NOT_DIR', `--out ${dir} exists and is not a directory`, { option: '--out', out: dir });

  const entries = await readdir(dir).catch((e) => { throw toOutputError(e, dir); });
  if (mode.overwrite) {
    for (const name of entries) if (isJobFile(name)) await unlink(join(dir, name));
    return null;
  }
  if (mode.resume) {
    const manifest = await readManifest(dir);
    if (!manifest) {
      const foreign = entries.filter((name) => !(isJobFile(name) && name.endsWith('.tmp')));
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
 * Removes what a killed run left that the manifest does not list (temp files, a part
 * renamed just before the crash), and cuts rejects.jsonl back to its committed length.
 */
async function dropUncommitted(dir: string, entries: readonly string[], manifest: Manifest): Promise<void> {
  const committed = new Set(manifest.parts.map((p) => p.file));
  for (const name of entries) {
    if (!isJobFile(name) || name === MANIFEST_FILE || name === REJECTS_FILE) continue;
    if (name.endsWith('.tmp') || !committed.has(name)) await unlink(join(dir, name));
  }
  const rejects = join(dir, REJECTS_FILE);
  try {
    const fh = await open(rejects, constants.O_RDWR | constants.O_NOFOLLOW);
    try {
      await fh.truncate(manifest.rejects.bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && manifest.rejects.bytes === 0) return;
    throw toOutputError(err, rejects);
  }
}
