/**
 * Which of a model folder's variants a job runs: the one `--variant` names, the
 * execution provider's preferred one whose accuracy check passed (`--variant auto`, and by
 * default where the provider picks), or the folder's own model.onnx (`--variant none`).
 * Whatever is chosen, and why, is said: in the summary, the manifest and the schema metadata.
 */
import { basename, join } from 'node:path';
import { ModelError } from '../errors.js';
import { baseFolder, listVariants, readModelVariant, VARIANTS_DIR, type FoundVariant, type ModelVariant } from '../convert/model-variant.js';
import { sha256File } from '../io/durable-file.js';
import type { ExecutionProvider } from '../workers/execution-providers.js';

export interface ChosenVariant {
  /** The model folder that runs. */
  readonly dir: string;
  /** Its name in manifests: `albert-mini`, or `albert-mini/variants/int8-fused`. */
  readonly name: string;
  /** Its variant record (null for a folder without variant.json). */
  readonly variant: ModelVariant | null;
  /** `asked` (--variant NAME or auto), `default` (the provider picks), `none` (the folder's own model). */
  readonly chosenBy: 'asked' | 'default' | 'none';
  /** What the user should know: why this one, or which faster variant is there to use. */
  readonly note: string | null;
}

/**
 * Chooses the model folder a job runs.
 *
 * @throws ModelError `ALB_VARIANT_NOT_FOUND` when `requested` names no variant of the folder
 * @example
 * ```ts
 * const c = await chooseVariant('models/albert-mini', 'auto', EXECUTION_PROVIDERS.cpu);
 * c.name; // 'albert-mini/variants/int8-fused'
 * ```
 */
export async function chooseVariant(dir: string, requested: string | null, ep: ExecutionProvider): Promise<ChosenVariant> {
  const own = readModelVariant(dir);
  let current: Promise<string | null> | undefined;
  const baseSha = (): Promise<string | null> => (current ??= sha256File(join(dir, 'model.onnx')).catch(() => null));
  const plain: ChosenVariant = { dir, name: basename(dir), variant: own, chosenBy: 'none', note: null };
  if (requested === 'none') return plain;
  // One damaged variant folder must not stop every job on the model: it is left out, and said.
  const broken = new Map<string, Error>();
  const found = listVariants(dir, (d, err) => broken.set(basename(d), err));
  const brokenNote = [...broken].map(([name, err]) => `${join(dir, VARIANTS_DIR, name)} left out: ${err.message}`).join('; ') || null;
  // Chosen first, then told of any variant left out, whichever way the choice went.
  const chosen = await (async (): Promise<ChosenVariant> => {
    if (requested !== null && requested !== 'auto') {
      const hit = found.find((f) => f.variant.name === requested);
      if (!hit && broken.has(requested)) throw broken.get(requested)!;
      if (!hit) {
        throw new ModelError('ALB_VARIANT_NOT_FOUND', `--variant ${requested}: ${dir} has no variant ${JSON.stringify(requested)} (${found.length > 0 ? `it has ${found.map((f) => f.variant.name).join(', ')}` : `no ${VARIANTS_DIR}/ folder`}); make one with \`albert optimize ${dir} --${requested.split('-')[0]}${requested.endsWith('-fused') ? ' --fuse' : ''}\`, or pass --variant auto or none`, { option: '--variant', got: requested });
      }
      const stale = await staleNote(dir, hit, baseSha);
      const unchecked = hit.variant.accuracy?.passed ? null : `its accuracy check ${hit.variant.accuracy ? `missed a target (${hit.variant.accuracy.summary})` : 'was not run'}`;
      return { ...pick(dir, hit, 'asked'), note: [stale, unchecked].filter(Boolean).join('; ') || null };
    }
    const usable: FoundVariant[] = [];
    const skipped: string[] = [];
    for (const name of ep.variants.preferred) {
      const f = found.find((x) => x.variant.name === name);
      if (!f) continue;
      const stale = await staleNote(dir, f, baseSha);
      if (stale) skipped.push(`${name}: ${stale}`);
      else if (!f.variant.accuracy?.passed) skipped.push(`${name}: ${f.variant.accuracy ? `accuracy check missed (${f.variant.accuracy.summary})` : 'accuracy not checked'}`);
      else usable.push(f);
    }
    const best = usable[0];
    if (best && (requested === 'auto' || ep.variants.byDefault === 'pick')) {
      const why = `${best.variant.name} variant (${best.variant.accuracy!.summary})${requested === 'auto' ? '' : `, picked for --device ${ep.name}; --variant none runs the fp32 model`}`;
      return { ...pick(dir, best, requested === 'auto' ? 'asked' : 'default'), note: `running the ${why}` };
    }
    if (best) {
      return { ...plain, note: `${join(dir, VARIANTS_DIR, best.variant.name)} (${best.variant.name}) passed its accuracy check (${best.variant.accuracy!.summary}): --variant auto runs it, faster on ${ep.label}` };
    }
    if (requested === 'auto') {
      return { ...plain, note: `--variant auto: no ${ep.label} variant to run (${skipped.length > 0 ? skipped.join('; ') : `none of ${ep.variants.preferred.join(', ')} under ${join(dir, VARIANTS_DIR)}`}); running ${basename(dir)} itself` };
    }
    return { ...plain, note: skipped.length > 0 ? `not using ${skipped.join('; ')}` : null };
  })();
  return brokenNote ? { ...chosen, note: [chosen.note, brokenNote].filter(Boolean).join('; ') } : chosen;
}

function pick(dir: string, f: FoundVariant, chosenBy: ChosenVariant['chosenBy']): Omit<ChosenVariant, 'note'> {
  return { dir: f.dir, name: `${basename(dir)}/${VARIANTS_DIR}/${basename(f.dir)}`, variant: f.variant, chosenBy };
}

/**
 * A variant made from another model.onnx than the folder's current one is stale: its
 * accuracy check says nothing of the model now there. Null when it is not.
 *
 * @example
 * ```ts
 * await staleNote('models/albert-mini', found, () => sha256File('models/albert-mini/model.onnx'));
 * ```
 */
export async function staleNote(dir: string, f: FoundVariant, baseSha: () => Promise<string | null>): Promise<string | null> {
  const base = baseFolder(f.dir, f.variant);
  if (!f.variant.base || !base) return null;
  const now = await baseSha();
  return now === f.variant.base.onnx_sha256 ? null : `made from another model.onnx than ${dir}'s (rerun albert optimize)`;
}
