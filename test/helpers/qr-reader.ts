import { createRequire } from 'node:module';
import { PNG } from 'pngjs';

// jsqr is CommonJS whose types declare an ES default export: required, it is the function itself.
const jsQR = createRequire(import.meta.url)('jsqr') as typeof import('jsqr').default;

/**
 * Reads QR codes back the way a phone would: from pixels, with a QR reader (jsqr) told NOT to try
 * inverting, since many phone readers do not. Every picture is first turned into a grid of dark
 * and light cells, then drawn at a few pixels a cell on what surrounds it.
 */

/** A terminal's own colours: the plain drawing's glyphs are drawn in `fg` on `bg`. */
export type TerminalBackground = 'dark' | 'light';

/**
 * Turns a terminal drawing of half blocks back into modules as the terminal would show them: each
 * character is two cells (top, bottom); ANSI colours set foreground and background, and without
 * them the terminal's own are used. Surrounded by `margin` cells of the terminal's background.
 */
export function terminalToCells(art: string, background: TerminalBackground, margin = 4): boolean[][] {
  const defaultFgDark = background === 'light'; // dark text on a light background, and the reverse
  const defaultBgDark = background === 'dark';
  const rows: boolean[][] = [];
  // As in a terminal, colours last until changed or reset, across line ends too.
  let fgDark = defaultFgDark;
  let bgDark = defaultBgDark;
  for (const line of art.split('\n')) {
    if (line === '') continue;
    const top: boolean[] = [];
    const bottom: boolean[] = [];
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (ch === '\u001b') {
        const end = line.indexOf('m', i);
        const codes = line.slice(i + 2, end).split(';').map(Number);
        for (const code of codes) {
          if (code === 0) { fgDark = defaultFgDark; bgDark = defaultBgDark; }
          else if (code === 39) fgDark = defaultFgDark;
          else if (code === 49) bgDark = defaultBgDark;
          else if (code >= 30 && code <= 37) fgDark = code === 30;
          else if (code >= 90 && code <= 97) fgDark = false;
          else if (code >= 40 && code <= 47) bgDark = code === 40;
          else if (code >= 100 && code <= 107) bgDark = false;
        }
        i = end;
        continue;
      }
      const [t, b] = ch === '\u2580' ? [fgDark, bgDark] : ch === '\u2584' ? [bgDark, fgDark] : ch === '\u2588' ? [fgDark, fgDark] : [bgDark, bgDark];
      top.push(t);
      bottom.push(b);
    }
    rows.push(top, bottom);
  }
  return surround(rows, defaultBgDark, margin);
}

/** Pads a grid of cells with `margin` cells of `dark` on every side (rows of unequal length too). */
export function surround(cells: boolean[][], dark: boolean, margin: number): boolean[][] {
  const width = Math.max(...cells.map((row) => row.length)) + 2 * margin;
  const blank = (): boolean[] => Array.from({ length: width }, () => dark);
  const body = cells.map((row) => [...Array.from({ length: margin }, () => dark), ...row, ...Array.from({ length: width - margin - row.length }, () => dark)]);
  return [...Array.from({ length: margin }, blank), ...body, ...Array.from({ length: margin }, blank)];
}

/** Decodes a grid of cells (true = dark), drawn at `scale` pixels a cell. */
export function decodeCells(cells: boolean[][], scale = 4): string | undefined {
  const height = cells.length * scale;
  const width = cells[0]!.length * scale;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = cells[Math.floor(y / scale)]![Math.floor(x / scale)] ? 0 : 255;
      data.set([v, v, v, 255], (y * width + x) * 4);
    }
  }
  return decodeRgba(data, width, height);
}

export function decodeRgba(data: Uint8ClampedArray, width: number, height: number): string | undefined {
  return jsQR(data, width, height, { inversionAttempts: 'dontInvert' })?.data;
}

/** Decodes a PNG picture (a file, a browser screenshot). */
export function decodePng(png: Buffer): string | undefined {
  const image = PNG.sync.read(png);
  return decodeRgba(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height);
}

/** The visible width of each line of a terminal drawing (escape sequences take no column). */
export function visibleWidths(art: string): number[] {
  // eslint-disable-next-line no-control-regex
  return art.split('\n').filter(Boolean).map((line) => [...line.replace(/\u001b\[[0-9;]*m/g, '')].length);
}
