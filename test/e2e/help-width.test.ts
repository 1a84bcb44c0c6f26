import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { TmuxTerminal } from '../helpers/tmux.js';

// Help is written straight to the file descriptor (main.ts): a terminal must still get help that
// fits its width, and a pipe the plain 80 columns.

const DESCRIPTION = 'create a WhatsApp verification, show its link and QR code, and wait for the verified webhook';

const terminals: TmuxTerminal[] = [];
afterEach(async () => {
  for (const terminal of terminals.splice(0)) await terminal.kill();
});

describe('--help', () => {
  it('wraps at 80 columns in a pipe', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain(DESCRIPTION);
    expect(r.stdout).toMatch(/create \[options\] +create a WhatsApp verification, show its link and QR\n +code, and wait for the verified webhook/);
  });

  it('wraps at the width of the terminal it is shown in', async () => {
    const terminal = await TmuxTerminal.start(['--help'], { columns: 140, rows: 60, theme: 'dark' });
    terminals.push(terminal);
    const screen = await terminal.waitFor(/Exit codes:[\s\S]*130/, 'the end of the help');
    expect(screen).toMatch(new RegExp(`create \\[options\\] +${DESCRIPTION}`));
  });
});
