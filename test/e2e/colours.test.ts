import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runCli } from '../helpers/cli.js';

/** SGR colour sequences (not cursor movement): what NO_COLOR must leave out. */
const COLOUR = /\u001b\[(3[0-9]|9[0-7]|1|2)m/;
const GREEN_TICK = '\u001b[32m✔\u001b[39m';

/** `script` (util-linux) gives the CLI a terminal, so the spinner runs as it does for a person. */
const hasScript = spawnSync('script', ['--version']).status === 0;

const PROBE = fileURLToPath(new URL('../fixtures/loaded-files.cjs', import.meta.url));
const PACKAGE = dirname(dirname(BIN));

/** Runs the CLI and returns the files of the package it loaded (paths from the package's root). */
async function packageFilesLoaded(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; files: string[] }> {
  const list = join(mkdtempSync(join(tmpdir(), 'stv-loaded-')), 'files.json');
  const r = await runCli(args, { env: { ...env, NODE_OPTIONS: `--require "${PROBE}"`, LOADED_FILES: list } });
  const files = (JSON.parse(readFileSync(list, 'utf8')) as string[]).filter((file) => file.startsWith(PACKAGE)).map((file) => relative(PACKAGE, file));
  return { code: r.code, stdout: r.stdout, files };
}

function onTerminal(env: Record<string, string | undefined>): string {
  const command = `stty cols 80 rows 24; exec env SENDTALK_SANDBOX_DELAY=500ms SENDTALK_QR=never "${process.execPath}" "${BIN}" create --sandbox`;
  // A person's terminal: not a CI job (under CI, chalk and ora rightly draw no colour nor spinner).
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    env: cleanEnv({ CI: undefined, GITHUB_ACTIONS: undefined, ...env }),
    encoding: 'utf8',
    timeout: 20_000,
  });
  return r.stdout;
}

describe('colours, through chalk', () => {
  it.for([
    { env: {}, coloured: false, why: 'a pipe, no colour asked' },
    { env: { NO_COLOR: undefined, FORCE_COLOR: '1' }, coloured: true, why: 'FORCE_COLOR=1 off a terminal' },
    { env: { FORCE_COLOR: '1' }, coloured: false, why: 'NO_COLOR wins over FORCE_COLOR' },
    { env: { NO_COLOR: undefined, GITHUB_ACTIONS: 'true', CI: 'true' }, coloured: true, why: 'GitHub Actions renders colour in its log' },
    { env: { NO_COLOR: undefined, GITHUB_ACTIONS: 'true', FORCE_COLOR: '0' }, coloured: false, why: 'FORCE_COLOR=0 on GitHub Actions' },
  ])('$why', async ({ env, coloured }) => {
    const r = await runCli(['create', '--sandbox', '--no-wait'], { env });
    expect(r.code).toBe(0);
    if (coloured) expect(r.stderr).toContain(GREEN_TICK);
    else expect(r.stderr).not.toMatch(COLOUR);
  });

  it.skipIf(!hasScript)('the spinner glyph is cyan on a terminal, and plain with NO_COLOR', () => {
    const coloured = onTerminal({ NO_COLOR: undefined });
    expect(coloured).toContain('Waiting for the verified webhook');
    expect(coloured).toMatch(/\u001b\[36m[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏|/\\-]\u001b\[39m/);
    const plain = onTerminal({ NO_COLOR: '1' });
    expect(plain).toContain('Waiting for the verified webhook');
    expect(plain).not.toMatch(COLOUR);
  });

  it('--help does not load chalk (start-up budget): no colour code in help, whatever FORCE_COLOR says', async () => {
    const env = { NO_COLOR: undefined, FORCE_COLOR: '3' };
    // chalk is dist/vendor/chalk.cjs, and a command that colours loads it: the probe sees it by that name.
    const coloured = await packageFilesLoaded(['create', '--sandbox', '--no-wait'], { ...env, SENDTALK_QR: 'never' });
    expect(coloured.code).toBe(0);
    expect(coloured.files).toContain(join('dist', 'vendor', 'chalk.cjs'));
    const help = await packageFilesLoaded(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).not.toMatch(COLOUR);
    expect(help.files).toContain(join('dist', 'cli.cjs'));
    // Nor the rest of the core nor any other dependency: what --help parses is what it costs.
    expect(help.files.filter((file) => file.includes('chalk') || file.startsWith(join('dist', 'vendor')) || file === join('dist', 'core.cjs'))).toEqual([]);
  });
});
