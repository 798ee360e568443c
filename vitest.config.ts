import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Native addons (onnxruntime-node, tokenizers) are safest in child processes, not vitest threads.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two files at a time. Most integration time is waiting (process starts, model loads,
    // queue idle exits and stall checks), so two overlap well even on two cores: 257 s
    // against 353 s one file at a time, idle on this 2-core machine. Tests must hold up
    // under load anyway (no tight timeouts), so a neighbour's load is no excuse.
    maxWorkers: 2,
  },
});
