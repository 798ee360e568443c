import { existsSync } from 'node:fs';
import { mkdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { OutputError } from '../errors.js';
import { fsyncDir, writeFileAtomic } from '../io/durable-file.js';

export interface FolderFile {
  readonly name: string;
  readonly data: Uint8Array | string;
}

/**
 * Writes a model folder all or nothing, so a failed `albert convert` leaves no half folder
 * that its retry would refuse (`ALB_CONVERT_OUT_EXISTS`) or the pipeline would half load.
 * The files go into `.<name>.tmp-<pid>` next to `target` (the same filesystem, so the
 * rename at the end is atomic), which becomes `target` when every file is on disk. On any
 * failure the temp folder goes, and with it any parent folder this call created.
 *
 * When `target` already exists (`--overwrite`, or an empty folder made beforehand) the files
 * are moved in one by one, in the order given, keeping what else the folder holds; list the
 * file whose presence means "complete" (model.onnx) last, so an interrupted move never
 * leaves a folder that looks converted.
 *
 * @throws OutputError `ALB_CONVERT_WRITE`, naming the path and the system's message
 * @example
 * ```ts
 * await writeModelFolder('models/albert-base', [{ name: 'config.json', data: text }, { name: 'model.onnx', data: bytes }]);
 * ```
 */
export async function writeModelFolder(target: string, files: readonly FolderFile[]): Promise<void> {
  const parent = dirname(resolve(target));
  const stage = join(parent, `.${basename(resolve(target))}.tmp-${process.pid}`);
  let createdParent: string | undefined;
  let committed = false;
  let at = parent;
  try {
    createdParent = await mkdir(parent, { recursive: true });
    // A leftover of an earlier, killed run that had the same pid: never ours to keep.
    at = stage;
    await rm(stage, { recursive: true, force: true });
    await mkdir(stage);
    for (const f of files) {
      at = join(stage, f.name);
      await writeFileAtomic(at, f.data);
    }
    at = target;
    if (!existsSync(target)) {
      await rename(stage, target);
      committed = true;
      await fsyncDir(parent);
      return;
    }
    for (const f of files) {
      at = join(target, f.name);
      await rename(join(stage, f.name), at);
    }
    committed = true;
    await rmdir(stage);
    await fsyncDir(target);
  } catch (err) {
    // After the commit only an fsync failed: the folder is complete, and removing it (or
    // the parent it sits in) would lose a good conversion.
    if (!committed) {
      await rm(stage, { recursive: true, force: true }).catch(() => undefined);
      if (createdParent !== undefined) await rm(createdParent, { recursive: true, force: true }).catch(() => undefined);
    }
    throw new OutputError('ALB_CONVERT_WRITE', `cannot write ${at}: ${(err as Error).message}`, { path: at }, { cause: err });
  }
}
