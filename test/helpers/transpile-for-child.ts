import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Child processes cannot import TypeScript sources, and a test must not depend on a prior
 * `npm run build`. So this transpiles a module and every relative import it reaches into
 * `outDir` (same layout under `src/`), with `node_modules` linked in, and returns the path
 * of the entry's `.js` file for `node` to import.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export async function transpileForChild(entry: string, outDir: string): Promise<string> {
  const seen = new Set<string>();
  const queue = [resolve(ROOT, entry)];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = await readFile(file, 'utf8');
    for (const [, spec] of source.matchAll(/from\s+'(\.{1,2}\/[^']+)\.js'/g)) queue.push(resolve(dirname(file), `${spec}.ts`));
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: file,
    });
    const out = join(outDir, relative(ROOT, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, outputText);
  }
  await symlink(join(ROOT, 'node_modules'), join(outDir, 'node_modules'), 'dir').catch(() => undefined);
  await writeFile(join(outDir, 'package.json'), '{ "type": "module" }\n');
  return join(outDir, entry.replace(/\.ts$/, '.js'));
}
