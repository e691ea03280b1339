import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file starts its own PostgreSQL pair; two at a time suits a 2-core machine.
    maxWorkers: 2,
    pool: 'forks',
  },
});
