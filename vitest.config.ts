import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn real processes and talk to a real Redis; two CI cores are enough for 2 forks.
    pool: 'forks',
    maxWorkers: 2,
  },
});
