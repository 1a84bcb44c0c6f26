import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readScreen, visibleWidths, type Theme } from '../helpers/terminal-screen.js';

/** The QR code's lines on stderr: last before the waiting line, under the advice to open the link. */
function drawing(stderr: string): string {
  const start = stderr.indexOf('\n', stderr.indexOf('send the message unchanged.'));
  const end = stderr.indexOf('Waiting for the verified webhook');
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  return stderr.slice(start + 1, end).replace(/\n$/, '');
}

function printedLink(stdout: string): string {
  return /Link\s+(\S+)/.exec(stdout)![1]!;
}

async function create(options: { columns: number; colour: boolean; language?: 'en' | 'id'; background?: Theme }) {
  const args = ['create', '--sandbox', '--language', options.language ?? 'en'];
  const env = {
    SENDTALK_SANDBOX_DELAY: '0',
    SENDTALK_APP_URL: 'https://app.example.co.id/verifikasi/selesai',
    // Drawn although stderr is not a terminal; the background is the user's word when given.
    SENDTALK_QR: options.background ? `always,${options.background}` : 'always',
    COLUMNS: String(options.columns),
    ...(options.colour ? { NO_COLOR: undefined, FORCE_COLOR: '1' } : {}),
  };
  const r = await runCli(args, { env });
  expect(r.code).toBe(0);
  return r;
}

describe('create with SENDTALK_QR=always draws a code that a reader turns back into the printed link', () => {
  it('in colour, read the same on a dark and on a light terminal, within 80 columns', async () => {
    const r = await create({ columns: 80, colour: true });
    const art = drawing(r.stderr);
    expect(art).toMatch(/\u001b\[(30|97);(40|107)m/);
    expect(Math.max(...visibleWidths(art))).toBeLessThanOrEqual(80);
    const link = printedLink(r.stdout);
    expect(readScreen(art, 'dark')).toEqual({ jsqr: link, zxing: link });
    expect(readScreen(art, 'light')).toEqual({ jsqr: link, zxing: link });
  });

  it('with NO_COLOR, plain and right for a dark background; SENDTALK_QR=light turns it over', async () => {
    const dark = await create({ columns: 120, colour: false, language: 'id' });
    const darkArt = drawing(dark.stderr);
    expect(darkArt).not.toMatch(/\u001b/);
    expect(readScreen(darkArt, 'dark').jsqr).toBe(printedLink(dark.stdout));

    const light = await create({ columns: 120, colour: false, language: 'id', background: 'light' });
    const lightArt = drawing(light.stderr);
    expect(readScreen(lightArt, 'light').jsqr).toBe(printedLink(light.stdout));
    expect(readScreen(lightArt, 'dark').jsqr).toBeUndefined();
  });

  it('says in one line that the terminal is too narrow instead of drawing a code it would wrap', async () => {
    // The Indonesian message with an app URL needs 61 columns; the English one 53.
    for (const [language, columns] of [
      ['id', 60],
      ['en', 40],
    ] as const) {
      const r = await create({ columns, colour: true, language });
      expect(r.stderr).not.toMatch(/[▀▄█]/);
      const notice = r.stderr
        .replace(/\u001b\[[0-9;]*m/g, '')
        .split('\n')
        .filter((line) => /QR code needs/.test(line));
      expect(notice).toHaveLength(1);
      // Off a terminal only COLUMNS is known: the line says what the code needs, not what the window has.
      expect(notice[0]).toMatch(
        /^⚠ The QR code needs a \d+×\d+ window: enlarge it, use --open or --qr-file qr\.png, or set SENDTALK_QR=sextants if your terminal draws sextants\.$/,
      );
      expect(printedLink(r.stdout)).toMatch(/^https:\/\/wa\.me\//);
    }
  });
});
