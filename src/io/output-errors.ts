import { AlbertError, OutputError } from '../errors.js';

/**
 * A filesystem error while writing output, as the one coded error every writer raises: a
 * full disk says what to do (`hint`), a planted symlink is refused, anything else names the
 * path and errno. Errors that are already ours pass through.
 *
 * @example
 * ```ts
 * await fh.write(text).catch((err) => { throw toOutputError(err, outDir, 'free space and rerun with --resume'); });
 * ```
 */
export function toOutputError(err: unknown, where: string, diskFullHint = 'free space and run again'): AlbertError {
  if (err instanceof AlbertError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') {
    return new OutputError('ALB_OUTPUT_DISK_FULL', `no space left writing to ${where}; ${diskFullHint}`, { out: where, errno: e.code }, { cause: err });
  }
  if (e?.code === 'ELOOP') return new OutputError('ALB_OUTPUT_SYMLINK', `${where}: a symlink sits where a file must be written; refusing to follow it`, { out: where }, { cause: err });
  return new OutputError('ALB_OUTPUT_IO', `${where}: ${e?.message ?? String(err)}`, { out: where, errno: e?.code ?? null }, { cause: err });
}
