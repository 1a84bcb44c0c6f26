import { chmodSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// The fast tests that import the core from src/ directly: what `npm run mutate` runs against each
// mutant. End-to-end tests run the built dist/, which a mutant of src/ does not touch.
//
// Stryker copies the project into a sandbox without the files' modes: the cloudflared stand-in
// must be executable again there, or the tunnel tests fail before any mutant runs.
chmodSync(new URL('fixtures/cloudflared-stub.mjs', import.meta.url), 0o755);

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    setupFiles: ['test/helpers/config-home.setup.ts'],
  },
});
