import { constants } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
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

/** Writes a whole small file atomically: readers see the old bytes or the new, never a mix. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await openForWrite(tmp);
  try {
    await fh.writeFile(data);
  } catch (err) {
    await fh.close();
    throw err;
  }
  await commitFile(fh, tmp, path);
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
