// Preloaded with `node --require` into a measured process (CommonJS, so that measuring does not
// start Node's ES module loader in a process that would not start it): on exit, writes the
// process's peak resident set size in bytes to the file named by BENCH_RSS_FILE.
'use strict';
const { writeFileSync } = require('node:fs');

const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    writeFileSync(file, String(process.resourceUsage().maxRSS * 1024));
  });
}
