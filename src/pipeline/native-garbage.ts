import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Each tokenized row leaves a native HF `Encoding` (ids, token strings, offsets, and the
 * overflow of a truncated row) behind a JS wrapper of a few bytes. V8 sizes its heap by
 * what it can see, so it rarely runs a full collection on our small main heap, and those
 * native bytes pile up: on 1M rows RSS crept from 380 to 650 MiB, all of it freed by one
 * full GC. So the window loop asks for a full collection every {@link TOKENS_PER_COLLECTION}
 * tokenized tokens, which keeps RSS flat at a cost of a few ms per collection.
 *
 * `gc` comes from the documented `--expose-gc` V8 flag, set at run time and fetched from a
 * fresh context (the same way jest's leak detector gets it); nothing else changes.
 */
export const TOKENS_PER_COLLECTION = 1 << 18;

let collect: (() => void) | null = null;

export class NativeGarbage {
  private tokensSince = 0;

  /** Counts freshly tokenized tokens; runs a full GC once enough have gone by. */
  tokenized(tokens: number): void {
    this.tokensSince += tokens;
    if (this.tokensSince < TOKENS_PER_COLLECTION) return;
    this.tokensSince = 0;
    fullGc();
  }
}

function fullGc(): void {
  if (!collect) {
    const existing = (globalThis as { gc?: () => void }).gc;
    if (existing) collect = existing;
    else {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    }
  }
  collect();
}
