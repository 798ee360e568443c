/**
 * What the lent machine hands back from $OUT (/work/.library/device/README.md, "Limits"):
 * at most 8 files, each under 16 MiB, 64 MiB together, no deeper than two folders down,
 * every file and folder named in letters, digits, '.', '_' and '-'. Anything past these
 * does not come back, so the run keeps to them and says so if it did not.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const OUT_LIMITS = { files: 8, fileBytes: 16 * 2 ** 20, totalBytes: 64 * 2 ** 20, folders: 2 } as const;

/** Largest file the run puts under OUT beside its own records (the bench chart). */
export const OUT_COPY_MAX_BYTES = 2 ** 20;

const NAME = /^[A-Za-z0-9._-]+$/;

/** Every way `dir` breaks the limits (empty: all of it comes back). */
export function outLimitProblems(dir: string): string[] {
  const problems: string[] = [];
  let files = 0;
  let total = 0;
  const walk = (rel: string, depth: number): void => {
    for (const name of readdirSync(join(dir, rel))) {
      const path = rel ? `${rel}/${name}` : name;
      if (!NAME.test(name)) problems.push(`${path}: a name with other characters than letters, digits, '.', '_', '-'`);
      const st = lstatSync(join(dir, path));
      if (st.isDirectory()) {
        walk(path, depth + 1);
        continue;
      }
      if (!st.isFile()) problems.push(`${path}: not a plain file`);
      if (depth > OUT_LIMITS.folders) problems.push(`${path}: more than ${OUT_LIMITS.folders} folders down`);
      if (st.size >= OUT_LIMITS.fileBytes) problems.push(`${path}: ${st.size} bytes, not under 16 MiB`);
      files += 1;
      total += st.size;
    }
  };
  walk('', 0);
  if (files > OUT_LIMITS.files) problems.push(`${files} files, more than ${OUT_LIMITS.files}`);
  if (total > OUT_LIMITS.totalBytes) problems.push(`${total} bytes in all, more than 64 MiB`);
  return problems;
}
