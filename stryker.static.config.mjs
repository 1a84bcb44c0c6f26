// The second step of `npm run mutate`: the module-level lists whose content is a verdict or a
// security rule. stryker.config.json ignores static mutants (a constant built when its module loads
// is "covered" by no test, so each of its mutants would cost a run of every test), and these lists
// are exactly that: dropping `expired` from the not-verified words made a `verification.expired`
// event print "Verified" while every mutant around it was killed. Here only the lines that build
// those lists are mutated, and each mutant runs the unit tests that import their module, not all.
//
// The lists are found by name, wherever their file now lives; a list renamed or gone stops this
// step with a message, rather than leaving it out in silence.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const LISTS = [
  'VERIFIED_WORDS', // a delivery's status that says the verification succeeded
  'NOT_VERIFIED_WORDS', // ... or that it did not, whatever else it says
  'CREDENTIAL_HEADER', // request header names masked whole in the terminal, the log and the page
];

const base = JSON.parse(readFileSync(new URL('./stryker.config.json', import.meta.url), 'utf8'));

function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const mutate = [];
const modules = new Set();
for (const name of LISTS) {
  const found = tsFiles('src').flatMap((file) => {
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex((line) => new RegExp(`^(export )?const ${name}\\b`).test(line));
    if (at < 0) return [];
    // The declaration runs to the first line that ends it with `;`.
    let end = at;
    while (end < lines.length - 1 && !/;\s*$/.test(lines[end])) end++;
    return [{ file, from: at + 1, to: end + 1 }];
  });
  if (found.length !== 1) {
    throw new Error(`stryker.static.config.mjs: the list ${name} is declared ${found.length} times in src/ (1 expected); update LISTS`);
  }
  const { file, from, to } = found[0];
  mutate.push(`${file}:${from}-${to}`);
  modules.add(file);
}

// The unit tests that import one of those modules (by its path without the extension).
const testFiles = tsFiles('test/unit').filter((test) => {
  const text = readFileSync(test, 'utf8');
  return [...modules].some((file) => text.includes(`${relative('src', file).replace(/\.ts$/, '')}.js'`));
});

export default {
  ...base,
  _comment: undefined,
  mutate,
  testFiles,
  ignoreStatic: false,
  // Every list entry is a rule a test names: a survivor here is a gap, not noise.
  thresholds: { high: 100, low: 100, break: 100 },
  incrementalFile: 'reports/stryker-static-incremental.json',
  jsonReporter: { fileName: 'reports/mutation/static-lists.json' },
};
