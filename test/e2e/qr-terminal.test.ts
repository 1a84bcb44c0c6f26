import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { decodeCells, terminalToCells, visibleWidths, type TerminalBackground } from '../helpers/qr-reader.js';

/** The QR code's lines on stderr: between "Verification created" and the advice under it. */
function drawing(stderr: string): string {
  const start = stderr.indexOf('Verification created\n');
  const end = stderr.indexOf('  Open the link on the phone');
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  return stderr.slice(start + 'Verification created\n'.length, end).replace(/\n$/, '');
}

function printedLink(stdout: string): string {
  return /Link\s+(\S+)/.exec(stdout)![1]!;
}

async function create(options: { columns: number; colour: boolean; language?: 'en' | 'id'; background?: TerminalBackground }) {
  const args = ['create', '--sandbox', '--sandbox-delay', '0', '--qr', '--language', options.language ?? 'en', '--app-url', 'https://app.example.co.id/verifikasi/selesai'];
  if (options.background) args.push('--qr-background', options.background);
  const r = await runCli(args, { env: { COLUMNS: String(options.columns), ...(options.colour ? { NO_COLOR: undefined, FORCE_COLOR: '1' } : {}) } });
  expect(r.code).toBe(0);
  return r;
}

describe('create --qr draws a code that a reader turns back into the printed link', () => {
  it('in colour, read the same on a dark and on a light terminal, within 80 columns', async () => {
    const r = await create({ columns: 80, colour: true });
    const art = drawing(r.stderr);
    expect(art).toMatch(/\u001b\[(30|97);(40|107)m/);
    expect(Math.max(...visibleWidths(art))).toBeLessThanOrEqual(80);
    expect(decodeCells(terminalToCells(art, 'dark'))).toBe(printedLink(r.stdout));
    expect(decodeCells(terminalToCells(art, 'light'))).toBe(printedLink(r.stdout));
  });

  it('with NO_COLOR, plain and right for a dark background; --qr-background light turns it over', async () => {
    const dark = await create({ columns: 120, colour: false, language: 'id' });
    const darkArt = drawing(dark.stderr);
    expect(darkArt).not.toMatch(/\u001b/);
    expect(decodeCells(terminalToCells(darkArt, 'dark'))).toBe(printedLink(dark.stdout));

    const light = await create({ columns: 120, colour: false, language: 'id', background: 'light' });
    const lightArt = drawing(light.stderr);
    expect(decodeCells(terminalToCells(lightArt, 'light'))).toBe(printedLink(light.stdout));
    expect(decodeCells(terminalToCells(lightArt, 'dark'))).toBeUndefined();
  });

  it('says in one line that the terminal is too narrow instead of drawing a code it would wrap', async () => {
    // The Indonesian message with an app URL needs 61 columns; the English one 53.
    for (const [language, columns] of [['id', 60], ['en', 40]] as const) {
      const r = await create({ columns, colour: true, language });
      expect(r.stderr).not.toMatch(/[▀▄█]/);
      const notice = r.stderr.split('\n').filter((line) => /QR code needs/.test(line));
      expect(notice).toHaveLength(1);
      expect(notice[0]).toMatch(new RegExp(`needs \\d+ columns and this terminal has ${columns}: widen it, use --open .*--qr-file`));
      expect(printedLink(r.stdout)).toMatch(/^https:\/\/wa\.me\//);
    }
  });
});
