import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // worker threads share one process: the gpu.js GL context and wasm pools stay per-file
    pool: 'forks',
  },
});
