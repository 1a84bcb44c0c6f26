#!/usr/bin/env node
// Tiny shim: all logic lives in the built CLI so that the bin stays stable across releases.
// CommonJS (bin/package.json says so): Node starts a CommonJS entry without its ES module loader,
// which would otherwise be a third of what `--help` costs over a bare `node`.
let cli;
try {
  cli = require('../dist/cli.cjs');
} catch (error) {
  // Only dist/cli.cjs itself missing (a clone before `npm run build`) is explained here; a module
  // missing inside the build is a broken build, and its own error says which.
  if (error && error.code === 'MODULE_NOT_FOUND' && Array.isArray(error.requireStack) && error.requireStack[0] === __filename) {
    const root = require('node:path').resolve(__dirname, '..');
    process.stderr.write(`sendtalk-verify is not built (dist/cli.cjs is missing): run \`npm run build\` in ${root}, then try again.\n`);
    process.exit(1);
  }
  throw error;
}
cli.main(process.argv);
