// The public API's declarations, for `npm run build` and `npm run api`; a plain Node script, not shipped.
//
// tsc writes one .d.ts per module of src/ into dist/.types/ (and type-checks src/ while at it);
// API Extractor (configured in api-extractor.json) then follows src/index.ts's exports through them:
// - `npm run build` ships what it reaches as one dist/index.d.ts, without the members tagged
//   `@internal` (what the flows and the tests use, e.g. ListenerHandle.server);
// - `npm run api` compares it with the reviewed report etc/sendtalk-verify.api.md and fails when
//   they differ: a change to the public API is made on purpose, with `npm run api -- --local`,
//   which rewrites the report for the change to be reviewed with the code.
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = fileURLToPath(new URL('..', import.meta.url));
const typesDir = join(root, 'dist', '.types');

/**
 * Writes dist/index.d.ts (`rollup`) and/or checks the report (`report`; `local` rewrites it
 * instead). Returns the files written, or exits with tsc's or API Extractor's failure.
 */
export function publicDeclarations({ rollup = true, report = false, local = false } = {}) {
  rmSync(typesDir, { recursive: true, force: true });
  try {
    emitDeclarations();
    const config = ExtractorConfig.loadFile(join(root, 'api-extractor.json'));
    config.apiReport.enabled = report;
    config.dtsRollup.enabled = rollup;
    const prepared = ExtractorConfig.prepare({
      configObject: config,
      configObjectFullPath: join(root, 'api-extractor.json'),
      packageJsonFullPath: join(root, 'package.json'),
    });
    const result = Extractor.invoke(prepared, { localBuild: local, messageCallback: quietInfo });
    if (!result.succeeded) {
      const stale = report && result.apiReportChanged && !local;
      // git is there wherever the report is checked in; its diff reads like the review it asks for.
      if (stale)
        spawnSync('git', ['diff', '--no-index', '--no-color', prepared.reportFilePath, prepared.reportTempFilePath], {
          stdio: ['ignore', 'inherit', 'inherit'],
        });
      console.error(
        stale
          ? `api: the public API differs from etc/sendtalk-verify.api.md (diff above). If the change is meant, run \`npm run api -- --local\` and commit the report.`
          : `api: API Extractor failed with ${result.errorCount} error(s) and ${result.warningCount} warning(s).`,
      );
      process.exit(1);
    }
    return rollup ? [prepared.publicTrimmedFilePath] : [];
  } finally {
    rmSync(typesDir, { recursive: true, force: true });
  }
}

/** tsc, declarations only, into dist/.types/. */
function emitDeclarations() {
  const args = [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--emitDeclarationOnly', '--declarationDir', typesDir];
  try {
    execFileSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (error) {
    process.exit(typeof error.status === 'number' ? error.status : 1);
  }
}

/**
 * API Extractor's progress lines ("Analysis will use the bundled TypeScript version…") say nothing
 * on success; its advice to copy a file from dist/.types/ (removed at the end) gives way to a diff.
 */
function quietInfo(message) {
  if (message.messageId === 'console-api-report-not-copied' || message.logLevel === 'info' || message.logLevel === 'verbose') message.handled = true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  publicDeclarations({ rollup: false, report: true, local: process.argv.includes('--local') });
  console.error('api: the public API matches etc/sendtalk-verify.api.md');
}
