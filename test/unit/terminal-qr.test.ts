import { describe, expect, it } from 'vitest';
import { verificationMessage, waMeLink } from '../../src/emulator/messages.js';
import { renderTerminalQr, type TerminalQr } from '../../src/render/qr.js';
import { decodeCells, terminalToCells, visibleWidths } from '../helpers/qr-reader.js';

// Links as the emulator makes them; the Indonesian message is the longer one, with an app URL longer still.
const LINKS = {
  en: waMeLink('6281100000000', verificationMessage('en', 'K7Q2-M9XD')),
  id: waMeLink('6281100000000', verificationMessage('id', 'K7Q2-M9XD', 'https://app.example.co.id/verifikasi/selesai')),
};

// The English link is a 49-module code (57 columns with a four-module quiet zone, 53 with two); the
// Indonesian one with an app URL is 57 modules (61 columns at least): it does not fit 60 columns.
const FITS: Record<string, number[]> = { en: [120, 80, 60], id: [120, 80] };

describe('the terminal QR code reads back as the link', () => {
  for (const [language, link] of Object.entries(LINKS)) {
    for (const columns of [120, 80, 60, 40]) {
      it(`${language} link at ${columns} columns: in colour on light and dark terminals, plain on the background it is drawn for`, async () => {
        const coloured = await renderTerminalQr(link, { colour: true, columns });
        const plainDark = await renderTerminalQr(link, { colour: false, background: 'dark', columns });
        const plainLight = await renderTerminalQr(link, { colour: false, background: 'light', columns });
        expect(coloured.fits).toBe(FITS[language]!.includes(columns));
        if (!coloured.fits) {
          // Too narrow even with the least quiet zone: nothing is drawn, and the CLI says so.
          expect(coloured.needed).toBeGreaterThan(columns);
          expect(plainDark.fits || plainLight.fits).toBe(false);
          return;
        }
        const art = (drawing: TerminalQr): string => {
          if (!drawing.fits) throw new Error('the same code fits whatever its colours');
          expect(Math.max(...visibleWidths(drawing.art))).toBeLessThanOrEqual(columns);
          expect(drawing.quiet).toBeGreaterThanOrEqual(2);
          return drawing.art;
        };
        expect(decodeCells(terminalToCells(art(coloured), 'dark'))).toBe(link);
        expect(decodeCells(terminalToCells(art(coloured), 'light'))).toBe(link);
        expect(decodeCells(terminalToCells(art(plainDark), 'dark'))).toBe(link);
        expect(decodeCells(terminalToCells(art(plainLight), 'light'))).toBe(link);
        // The wrong plain drawing is the negative: a reader that does not invert cannot read it.
        expect(decodeCells(terminalToCells(art(plainDark), 'light'))).toBeUndefined();
      });
    }
  }

  it('uses the standard four-module quiet zone where it fits, two where only that fits', async () => {
    const wide = await renderTerminalQr(LINKS.en, { columns: 120 });
    expect(wide.fits && wide.quiet).toBe(4);
    if (!wide.fits) return;
    const size = wide.width - 8;
    const snug = await renderTerminalQr(LINKS.en, { columns: size + 4 });
    expect(snug.fits && snug.quiet).toBe(2);
    const short = await renderTerminalQr(LINKS.en, { columns: 120, rows: Math.ceil((size + 8) / 2) });
    expect(short.fits && short.quiet).toBe(2);
    expect(await renderTerminalQr(LINKS.en, { columns: size + 3 })).toMatchObject({ fits: false, needed: size + 4, columns: size + 3 });
  });

  it('decodes non-ASCII text as it was (UTF-8 bytes)', async () => {
    const text = 'Kode verifikasi: ✓ 東京';
    const drawing = await renderTerminalQr(text, { colour: true });
    expect(drawing.fits && decodeCells(terminalToCells(drawing.art, 'light'))).toBe(text);
  });
});
