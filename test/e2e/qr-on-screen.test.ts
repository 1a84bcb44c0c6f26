import { afterEach, describe, expect, it } from 'vitest';
import { readScreen, type Theme } from '../helpers/terminal-screen.js';
import { TmuxTerminal } from '../helpers/tmux.js';
import { until } from '../helpers/until.js';

/**
 * The QR code as a person sees it: `create --sandbox` in a real pseudo-terminal of a given size
 * (tmux), the window captured with its colours while the CLI waits, painted cell by cell, and read
 * by two QR readers. Whatever scrolled off the top is gone, as on a real screen.
 */

const terminals: TmuxTerminal[] = [];
afterEach(async () => {
  await Promise.all(terminals.splice(0).map((terminal) => terminal.kill()));
});

const WAITING = /Waiting for the verified webhook/;
const BLOCKS = /[\u2580-\u259f]|[\u{1fb00}-\u{1fb3b}]/u;

async function createIn(size: { columns: number; rows: number }, theme: Theme, env: Record<string, string | undefined> = {}, extra: string[] = []) {
  // The emulator would deliver the webhook after a minute: the test reads the screen while the CLI waits.
  const terminal = await TmuxTerminal.start(['create', '--sandbox', ...extra], { env: { ...env, SENDTALK_SANDBOX_DELAY: '60s' }, ...size, theme });
  terminals.push(terminal);
  const screen = await terminal.waitFor(WAITING, 'the waiting line');
  const link = /Link\s+(https:\/\/wa\.me\/\S+)/.exec(await terminal.history())?.[1];
  expect(link).toMatch(/^https:\/\/wa\.me\/\d+\?text=/);
  return { terminal, screen, link: link! };
}

/** The last line with text on the screen. */
function lastLine(screen: string): string {
  return screen
    .replace(/\u001b\[[0-9;]*m/g, '')
    .trimEnd()
    .split('\n')
    .at(-1)!;
}

describe('the QR code on the screen of a terminal', () => {
  for (const theme of ['dark', 'light'] as const) {
    it(`80×24 that draws sextants, ${theme}: the whole code on screen, above the waiting line, read by two readers`, async () => {
      const { screen, link } = await createIn({ columns: 80, rows: 24 }, theme, { SENDTALK_QR: 'sextants' });
      expect(screen).toMatch(/[\u{1fb00}-\u{1fb3b}]/u);
      expect(lastLine(screen)).toMatch(WAITING);
      expect(readScreen(screen, theme, { columns: 80, rows: 24 })).toEqual({ jsqr: link, zxing: link });
    });

    it(`100×30, ${theme}: half blocks with the full quiet zone, read by two readers`, async () => {
      const { screen, link } = await createIn({ columns: 100, rows: 30 }, theme);
      expect(screen).not.toMatch(/[\u{1fb00}-\u{1fb3b}]/u);
      expect(screen).toMatch(/\u2580|\u2584|\u2588/);
      expect(readScreen(screen, theme, { columns: 100, rows: 30 })).toEqual({ jsqr: link, zxing: link });
    });

    it(`NO_COLOR on a ${theme} terminal: asked for its background (OSC 11), the code is dark on light without SENDTALK_QR=light`, async () => {
      const { screen, link } = await createIn({ columns: 100, rows: 30 }, theme, { NO_COLOR: '1' });
      expect(screen).not.toMatch(/\u001b\[[0-9;]*(3[0-7]|9[0-7]|4[0-7]|10[0-7])m/);
      expect(readScreen(screen, theme, { columns: 100, rows: 30 })).toEqual({ jsqr: link, zxing: link });
    });
  }

  it('80×24 not known to draw sextants: no partial code, one line saying what fits and the other ways to it', async () => {
    const { screen, terminal } = await createIn({ columns: 80, rows: 24 }, 'dark');
    expect(screen).not.toMatch(BLOCKS);
    expect(await terminal.text()).toMatch(
      /\n⚠ The QR code needs a 53×28 window \(this one is 80×24\): enlarge it, use --open or --qr-file qr\.png, or set SENDTALK_QR=sextants if your terminal draws sextants\.\n/,
    );
  });

  it('40×20: the one-line way out', async () => {
    const { screen, terminal } = await createIn({ columns: 40, rows: 20 }, 'light');
    expect(screen).not.toMatch(BLOCKS);
    expect(await terminal.text()).toMatch(
      /\n⚠ The QR code needs a 53×28 window \(this one is 40×20\): enlarge it, use --open or --qr-file qr\.png, or set SENDTALK_QR=sextants if your terminal draws sextants\.\n/,
    );
  });

  it('TERM=dumb: no code, and one line saying why and how to get one', async () => {
    const { terminal } = await createIn({ columns: 100, rows: 40 }, 'dark', { TERM: 'dumb' });
    const history = await terminal.history();
    expect(history).not.toMatch(BLOCKS);
    expect(history).toContain('\nNo QR code on this terminal (TERM=dumb): use --open or --qr-file qr.png, or draw it anyway with SENDTALK_QR=always.\n');
  });

  it('a line printed while waiting (a refused delivery) goes above the code, which stays whole above the waiting line', async () => {
    const { terminal, link } = await createIn({ columns: 100, rows: 30 }, 'dark');
    const listener = /Webhook listener on (http:\/\/127\.0\.0\.1:\d+\/webhook)/.exec(await terminal.history())![1]!;
    const answer = await fetch(listener, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"status":"verified"}' });
    expect(answer.status).toBe(401);
    await until(async () => /Refused a delivery/.test(await terminal.history()), 'the refusal on screen');
    await until(async () => readScreen(await terminal.screen(), 'dark', { columns: 100, rows: 30 }).jsqr === link, 'the code read again');
    const screen = await terminal.screen();
    expect(readScreen(screen, 'dark', { columns: 100, rows: 30 })).toEqual({ jsqr: link, zxing: link });
    expect(lastLine(screen)).toMatch(WAITING);
    // Above the code: what follows the refusal is the code, whole (tmux keeps a cleared screen in its history).
    const history = await terminal.history();
    expect(history.match(/Refused a delivery/g)).toHaveLength(1);
    const afterRefusal = history
      .slice(history.indexOf('Refused a delivery'))
      .split('\n')
      .filter((line) => /[\u2580\u2584\u2588]/.test(line));
    // One drawing of 29 rows: its first and last two are quiet zone, blank in colour and █ without
    // colours (CI set in the environment turns colours off); a second drawing would double it.
    expect([25, 29]).toContain(afterRefusal.length);
  });

  it('a window resized while waiting gets the code once it fits, and the way out once it no longer does, never a second copy', async () => {
    const { terminal, link } = await createIn({ columns: 80, rows: 24 }, 'dark');
    await terminal.resize(100, 40);
    const grown = await terminal.waitFor(/\u2580|\u2584|\u2588/, 'the code after the window grew');
    await until(async () => readScreen(await terminal.screen(), 'dark', { columns: 100, rows: 40 }).jsqr === link, 'a readable code');
    const screen = await terminal.screen();
    expect(readScreen(screen, 'dark', { columns: 100, rows: 40 })).toEqual({ jsqr: link, zxing: link });
    expect(grown).not.toMatch(/The QR code needs/);
    expect(lastLine(screen)).toMatch(WAITING);

    await terminal.resize(80, 24);
    const shrunk = await terminal.waitFor(/The QR code needs/, 'the way out after the window shrank');
    await until(async () => !BLOCKS.test(await terminal.screen()), 'the code erased');
    expect(shrunk.match(/The QR code needs/g)).toHaveLength(1);
    const history = await terminal.history();
    expect(history.match(/Verification created/g)).toHaveLength(1);
    expect(history.match(/Link {5}/g)).toHaveLength(1);
  });
});
