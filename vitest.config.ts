import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Native addons (onnxruntime-node, tokenizers) are safest in child processes, not vitest threads.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: integration tests that each start a worker pool would only fight over them.
    fileParallelism: false,
  },
});
