import { describe, expect, it } from 'vitest';
import { verificationMessage, waMeLink } from '../../src/emulator/messages.js';
import { renderTerminalQr, sextant, type QrGlyphs, type TerminalQr } from '../../src/render/qr.js';
import { paintScreen, readScreen, readWithJsqr, screenCells, visibleWidths } from '../helpers/terminal-screen.js';

// Links as the emulator makes them. The English one is 185 characters, as SendTalk's are (a
// 49-module code); the Indonesian one with an app URL is longer still (57 modules).
const LINKS = {
  en: waMeLink('6281100000000', verificationMessage('en', 'K7Q2-M9XD')),
  id: waMeLink('6281100000000', verificationMessage('id', 'K7Q2-M9XD', 'https://app.example.co.id/verifikasi/selesai')),
};

function art(drawing: TerminalQr): string {
  if (!drawing.fits) throw new Error('expected a drawing');
  return drawing.art;
}

describe('each terminal drawing reads back as the link, with two readers, at a 1:2 cell', () => {
  for (const glyphs of ['half-blocks', 'sextants'] as const) {
    for (const [language, link] of Object.entries(LINKS)) {
      it(`${glyphs}, ${language}: in colour on light and dark terminals, plain on the background it is drawn for`, async () => {
        const both = { jsqr: link, zxing: link };
        const coloured = art(await renderTerminalQr(link, { glyphs: [glyphs], colour: true }));
        expect(readScreen(coloured, 'dark')).toEqual(both);
        expect(readScreen(coloured, 'light')).toEqual(both);
        const plainDark = art(await renderTerminalQr(link, { glyphs: [glyphs], colour: false, background: 'dark' }));
        expect(plainDark).not.toMatch(/\u001b/);
        expect(readScreen(plainDark, 'dark')).toEqual(both);
        expect(readScreen(art(await renderTerminalQr(link, { glyphs: [glyphs], colour: false, background: 'light' })), 'light')).toEqual(both);
        // The wrong plain drawing is the negative: a reader that does not invert cannot read it.
        expect(readWithJsqr(paintScreen(screenCells(plainDark), 'light'))).toBeUndefined();
      });
    }
  }
});

describe('the drawing that fits', () => {
  const sizes = async (glyphs: readonly QrGlyphs[], columns?: number, rows?: number) => {
    const qr = await renderTerminalQr(LINKS.en, { glyphs, columns, rows });
    return qr.fits ? `${qr.glyphs} quiet ${qr.quiet}: ${qr.columns}×${qr.rows}` : `none: needs ${qr.columns}×${qr.rows}`;
  };

  it('half blocks with the standard quiet zone, then the least, then sextants, each only where it fits', async () => {
    const both = ['half-blocks', 'sextants'] as const;
    expect(await sizes(both)).toBe('half-blocks quiet 4: 57×29');
    expect(await sizes(both, 57, 29)).toBe('half-blocks quiet 4: 57×29');
    expect(await sizes(both, 56, 29)).toBe('half-blocks quiet 2: 53×27');
    expect(await sizes(both, 57, 28)).toBe('half-blocks quiet 2: 53×27');
    // 80×24 less the waiting line: too short for half blocks.
    expect(await sizes(both, 80, 23)).toBe('sextants quiet 4: 29×19');
    expect(await sizes(both, 80, 18)).toBe('sextants quiet 2: 27×18');
    expect(await sizes(both, 26, 60)).toBe('none: needs 27×18');
    expect(await sizes(['half-blocks'], 80, 23)).toBe('none: needs 53×27');
    expect(await sizes(['sextants'], 120, 60)).toBe('sextants quiet 4: 29×19');
  });

  it('is never wider or taller than it says', async () => {
    for (const glyphs of ['half-blocks', 'sextants'] as const) {
      const qr = await renderTerminalQr(LINKS.id, { glyphs: [glyphs] });
      if (!qr.fits) throw new Error('expected a drawing');
      expect(Math.max(...visibleWidths(qr.art))).toBe(qr.columns);
      expect(qr.art.split('\n')).toHaveLength(qr.rows);
    }
  });

  it('names each sextant pattern as the Unicode chart does (BLOCK SEXTANT-n: the cells filled, 1 top left … 6 bottom right)', () => {
    const cells = (name: string): number => [...name].reduce((bits, n) => bits | (1 << (Number(n) - 1)), 0);
    const chart: Array<[string, number]> = [
      ['1', 0x1fb00],
      ['2', 0x1fb01],
      ['12', 0x1fb02],
      ['1234', 0x1fb0e],
      ['5', 0x1fb0f],
      ['35', 0x1fb13],
      ['235', 0x1fb14],
      ['145', 0x1fb17],
      ['12345', 0x1fb1d],
      ['6', 0x1fb1e],
      ['23456', 0x1fb3b],
    ];
    for (const [name, codePoint] of chart) expect(sextant(cells(name)).codePointAt(0)!.toString(16)).toBe(codePoint.toString(16));
    expect([sextant(0), sextant(cells('135')), sextant(cells('246')), sextant(63)]).toEqual([' ', '\u258c', '\u2590', '\u2588']);
  });

  it('a SendTalk-sized link (49 modules) reads at 9×18-pixel cells too, where a sextant splits 5 and 4 pixels', async () => {
    const cell = { width: 9, height: 18 };
    for (const glyphs of ['half-blocks', 'sextants'] as const) {
      for (const theme of ['dark', 'light'] as const) {
        expect(readScreen(art(await renderTerminalQr(LINKS.en, { glyphs: [glyphs] })), theme, { cell })).toEqual({ jsqr: LINKS.en, zxing: LINKS.en });
      }
    }
  });

  it('decodes non-ASCII text as it was (UTF-8 bytes)', async () => {
    const text = 'Kode verifikasi: ✓ 東京';
    expect(readScreen(art(await renderTerminalQr(text, { colour: true })), 'light').jsqr).toBe(text);
  });
});
