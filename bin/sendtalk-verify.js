#!/usr/bin/env node
// Tiny shim: all logic lives in the built CLI so that the bin stays stable across releases.
// CommonJS (bin/package.json says so): Node starts a CommonJS entry without its ES module loader,
// which would otherwise be a third of what `--help` costs over a bare `node`.
require('../dist/cli.cjs').main(process.argv);
