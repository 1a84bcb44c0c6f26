import { createRequire } from 'node:module';
import { PNG } from 'pngjs';

// jsqr is CommonJS whose types declare an ES default export: required, it is the function itself.
const jsQR = createRequire(import.meta.url)('jsqr') as typeof import('jsqr').default;

/**
 * Reads QR codes back the way a phone would: from pixels, with a QR reader (jsqr) told NOT to try
 * inverting, since many phone readers do not. Every picture is first turned into a grid of dark
 * and light cells, then drawn at a few pixels a cell on what surrounds it.
 */

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
