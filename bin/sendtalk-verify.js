#!/usr/bin/env node
// Tiny shim: all logic lives in the built CLI so that the bin stays stable across releases.
import { main } from '../dist/cli/main.js';

main(process.argv);
