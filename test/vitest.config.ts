import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    // End-to-end tests spawn the built CLI and real servers on loopback: give them room on 2 cores.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Most tests wait on timers, sockets and child processes rather than the CPU: four at a time
    // on 2 cores halves the suite's time (one per core left it near seven minutes).
    maxWorkers: 4,
    minWorkers: 1,
    setupFiles: ['test/helpers/config-home.setup.ts'],
  },
});
