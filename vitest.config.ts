import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // CLI and terminal tests spawn processes; two workers match the two cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
