import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { link, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Crash-safe file primitives. A file becomes visible under its final name only after its
 * bytes are on disk (write to `NAME.tmp`, fsync, rename, fsync the directory), so a reader
 * never mistakes a half-written file for a complete one.
 */

// O_NOFOLLOW: a symlink planted where we write must never redirect a write out of --out.
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

export async function openForWrite(path: string): Promise<FileHandle> {
  return open(path, CREATE_FLAGS, 0o644);
}

/** Flushes a directory entry (the rename itself) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsyncs and closes `fh` (open on `tmpPath`), then renames it to `finalPath` durably. */
export async function commitFile(fh: FileHandle, tmpPath: string, finalPath: string): Promise<void> {
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmpPath, finalPath);
  await fsyncDir(dirname(finalPath));
}

/**
 * Writes a whole file atomically and durably: `tmp` (default `PATH.tmp`), fsync, rename,
 * fsync the directory. Readers see the old bytes or the new, never a mix, and after a crash
 * the new bytes are there if the call returned. On failure the temp file is removed.
 *
 * @example
 * ```ts
 * await writeFileAtomic('out/manifest.json', JSON.stringify(manifest));
 * ```
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, tmp = `${path}.tmp`): Promise<void> {
  const fh = await openForWrite(tmp);
  try {
    await fh.writeFile(data);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  try {
    await commitFile(fh, tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/**
 * Creates `path` with `data` unless it exists, durably and atomically: of several processes
 * racing, exactly one creates it (a hard link cannot replace a file) and the others leave it
 * as the winner wrote it. Returns whether this call created it.
 *
 * @example
 * ```ts
 * if (!(await createFileOnce('out/plan.json', text))) console.log('another process planned first');
 * ```
 */
export async function createFileOnce(path: string, data: string | Uint8Array): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await openForWrite(tmp);
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await fsyncDir(dirname(path));
  return true;
}

/** The sha256 of a file's bytes, streamed (model files are hundreds of MB). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Reads a small text file inside an output directory without following a symlink (so a
 * planted link cannot make us read from outside it); `null` when the file does not exist.
 */
export async function readTextNoFollow(path: string): Promise<string | null> {
  try {
    const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
