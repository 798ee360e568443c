import { describe, expect, it } from 'vitest';
import { NativeGarbage, TOKENS_PER_COLLECTION } from '../../src/pipeline/native-garbage.js';

/** Resolves once `registry` reported `token` collected, or `false` after `ms`. */
function collected(registry: { seen: Set<string> }, token: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  return new Promise((resolve) => {
    const poll = () => {
      if (registry.seen.has(token)) resolve(true);
      else if (Date.now() > until) resolve(false);
      else setTimeout(poll, 5);
    };
    poll();
  });
}

describe('NativeGarbage', () => {
  it('runs a full collection once TOKENS_PER_COLLECTION tokens were tokenized', async () => {
    const seen = new Set<string>();
    const registry = new FinalizationRegistry<string>((t) => seen.add(t));
    // An object in the old generation: only a full (mark-compact) GC frees it.
    const keep: { big?: unknown[] } = { big: Array.from({ length: 50_000 }, (_, i) => ({ i })) };
    registry.register(keep.big!, 'old');
    await new Promise((r) => setTimeout(r, 50));
    delete keep.big;

    const garbage = new NativeGarbage();
    garbage.tokenized(TOKENS_PER_COLLECTION - 1);
    garbage.tokenized(1);
    expect(await collected({ seen }, 'old', 2000)).toBe(true);
  });
});
