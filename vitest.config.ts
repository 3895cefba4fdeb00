import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most test files wait on child processes, servers and timers rather than compute: two
    // workers on two cores ran the suite in 370 s where one (vitest's default there) took 620 s.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
