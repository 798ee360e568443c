import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OutputError } from '../errors.js';
import { MANIFEST_FILE, REJECTS_FILE, readManifest, type Manifest } from './manifest.js';

const JOB_FILE = /^(manifest\.json|rejects\.jsonl|part-[\w.-]+\.arrow)(\.tmp)?$/;

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
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw wrap(err, dir);
    // --resume with nothing committed yet (the job died before its first part) starts afresh.
    await mkdir(dir, { recursive: true }).catch((e) => { throw wrap(e, dir); });
    return null;
  }
  if (st.isSymbolicLink()) {
    throw new OutputError('ALB_OUTPUT_SYMLINK', `--out ${dir} is a symlink; refusing to write through it (pass the real directory)`, { option: '--out', out: dir });
  }
  if (!st.isDirectory()) throw new OutputError('ALB_OUTPUT_NOT_DIR', `--out ${dir} exists and is not a directory`, { option: '--out', out: dir });

  const entries = await readdir(dir).catch((e) => { throw wrap(e, dir); });
  if (mode.overwrite) {
    for (const name of entries) if (JOB_FILE.test(name)) await unlink(join(dir, name));
    return null;
  }
  if (mode.resume) {
    const manifest = await readManifest(dir);
    if (!manifest) {
      const foreign = entries.filter((name) => !(JOB_FILE.test(name) && name.endsWith('.tmp')));
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
    if (!JOB_FILE.test(name) || name === MANIFEST_FILE || name === REJECTS_FILE) continue;
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
    throw wrap(err, rejects);
  }
}

function wrap(err: unknown, path: string): OutputError {
  const e = err as NodeJS.ErrnoException;
  const code = e.code === 'ELOOP' ? 'ALB_OUTPUT_SYMLINK' : e.code === 'ENOSPC' ? 'ALB_OUTPUT_DISK_FULL' : 'ALB_OUTPUT_IO';
  return new OutputError(code, `${path}: ${e.message}`, { path, errno: e.code });
}
