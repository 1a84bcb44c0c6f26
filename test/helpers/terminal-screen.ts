import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { BinaryBitmap, DecodeHintType, GlobalHistogramBinarizer, HybridBinarizer, QRCodeReader, RGBLuminanceSource } from '@zxing/library';
import { decodeRgba } from './qr-reader.js';

/**
 * A terminal screen as a person sees it: text with SGR colours (what `tmux capture-pane -e` or the
 * tool itself writes) turned into character cells, painted at 9×18 pixels a cell (the 1:2 aspect of
 * common monospace fonts), and read by two independent QR readers. Block elements and sextants are
 * filled exactly, as terminals draw them themselves; every other character is drawn by a real
 * monospace font (DejaVu Sans Mono, Debian's fonts-dejavu-core, which `.ci/run` installs).
 */

/** A character cell in pixels, 1:2 as common monospace fonts are. */
export interface CellSize {
  width: number;
  height: number;
}
/** 10×20: halves and thirds of it are whole pixels. At 9×18 a sextant's halves are 5 and 4 pixels wide. */
const CELL: CellSize = { width: 10, height: 20 };
const FONT_PATH = '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf';
const FONT = 'DejaVu Sans Mono';

/** A terminal's colour theme: its default foreground and background. */
export type Theme = 'dark' | 'light';
const THEMES: Record<Theme, { fg: Rgb; bg: Rgb }> = {
  dark: { fg: [0xd3, 0xd7, 0xcf], bg: [0x1e, 0x1e, 0x1e] },
  light: { fg: [0x2e, 0x34, 0x36], bg: [0xff, 0xff, 0xff] },
};

type Rgb = readonly [number, number, number];
/** A colour as SGR sets it: a palette index, a 24-bit colour, or undefined for the theme's default. */
type Colour = number | Rgb | undefined;
export interface Cell {
  ch: string;
  fg: Colour;
  bg: Colour;
  inverse: boolean;
}

// xterm's 16 colours, a common default.
const PALETTE: Rgb[] = [
  [0, 0, 0],
  [205, 0, 0],
  [0, 205, 0],
  [205, 205, 0],
  [0, 0, 238],
  [205, 0, 205],
  [0, 205, 205],
  [229, 229, 229],
  [127, 127, 127],
  [255, 0, 0],
  [0, 255, 0],
  [255, 255, 0],
  [92, 92, 255],
  [255, 0, 255],
  [0, 255, 255],
  [255, 255, 255],
];

/** Splits text with SGR sequences into rows of cells; colours carry across lines, as in a terminal. */
export function screenCells(text: string): Cell[][] {
  const rows: Cell[][] = [];
  let fg: Colour;
  let bg: Colour;
  let inverse = false;
  for (const line of text.split('\n')) {
    const row: Cell[] = [];
    const chars = [...line];
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      if (ch === '\u001b' && chars[i + 1] === '[') {
        let end = i + 2;
        while (end < chars.length && !/[@-~]/.test(chars[end]!)) end++;
        if (chars[end] === 'm') {
          const codes = chars
            .slice(i + 2, end)
            .join('')
            .split(';')
            .map((code) => (code === '' ? 0 : Number(code)));
          for (let k = 0; k < codes.length; k++) {
            const code = codes[k]!;
            if (code === 0) {
              fg = undefined;
              bg = undefined;
              inverse = false;
            } else if (code === 7) inverse = true;
            else if (code === 27) inverse = false;
            else if (code >= 30 && code <= 37) fg = code - 30;
            else if (code >= 90 && code <= 97) fg = code - 90 + 8;
            else if (code >= 40 && code <= 47) bg = code - 40;
            else if (code >= 100 && code <= 107) bg = code - 100 + 8;
            else if (code === 39) fg = undefined;
            else if (code === 49) bg = undefined;
            else if (code === 38 || code === 48) {
              const extended: Colour = codes[k + 1] === 5 ? codes[k + 2] : [codes[k + 2]!, codes[k + 3]!, codes[k + 4]!];
              k += codes[k + 1] === 5 ? 2 : 4;
              if (code === 38) fg = extended;
              else bg = extended;
            }
          }
        }
        i = end;
        continue;
      }
      row.push({ ch, fg, bg, inverse });
    }
    rows.push(row);
  }
  return rows;
}

/** A picture: RGBA bytes. */
export interface Picture {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** The window painted: `columns` × `rows` (else as many as the text has), cells of `cell` pixels. */
export interface ScreenSize {
  columns?: number;
  rows?: number;
  cell?: CellSize;
}

/** Paints cells as a terminal of that size with the given theme would (with a padding of its background around). */
export function paintScreen(cells: Cell[][], theme: Theme, size: ScreenSize = {}): Picture {
  const cell = size.cell ?? CELL;
  if (!GlobalFonts.has(FONT)) GlobalFonts.registerFromPath(FONT_PATH, FONT);
  const columns = size.columns ?? Math.max(1, ...cells.map((row) => row.length));
  const rows = size.rows ?? cells.length;
  const pad = cell.width;
  const width = columns * cell.width + 2 * pad;
  const height = rows * cell.height + 2 * pad;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const css = (rgb: Rgb): string => `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
  ctx.fillStyle = css(THEMES[theme].bg);
  ctx.fillRect(0, 0, width, height);
  ctx.font = `${Math.round(cell.height * 0.83)}px "${FONT}"`;
  ctx.textBaseline = 'alphabetic';
  for (let r = 0; r < Math.min(rows, cells.length); r++) {
    for (let c = 0; c < Math.min(columns, cells[r]!.length); c++) {
      const { ch, fg: setFg, bg: setBg, inverse } = cells[r]![c]!;
      let fg = resolve(setFg, THEMES[theme].fg);
      let bg = resolve(setBg, THEMES[theme].bg);
      if (inverse) [fg, bg] = [bg, fg];
      const x = pad + c * cell.width;
      const y = pad + r * cell.height;
      ctx.fillStyle = css(bg);
      ctx.fillRect(x, y, cell.width, cell.height);
      ctx.fillStyle = css(fg);
      const blocks = blockRects(ch, cell);
      if (blocks) for (const [bx, by, bw, bh] of blocks) ctx.fillRect(x + bx, y + by, bw, bh);
      else if (ch !== ' ') ctx.fillText(ch, x, y + Math.round(cell.height * 0.78));
    }
  }
  const image = ctx.getImageData(0, 0, width, height);
  return { data: new Uint8ClampedArray(image.data), width, height };
}

function resolve(colour: Colour, fallback: Rgb): Rgb {
  if (colour === undefined) return fallback;
  if (typeof colour !== 'number') return colour;
  if (colour < 16) return PALETTE[colour]!;
  if (colour >= 232) {
    const v = 8 + (colour - 232) * 10;
    return [v, v, v];
  }
  const n = colour - 16;
  const level = (k: number): number => (k === 0 ? 0 : 55 + k * 40);
  return [level(Math.floor(n / 36)), level(Math.floor(n / 6) % 6), level(n % 6)];
}

/**
 * The rectangles (x, y, w, h) a block element or sextant fills in a cell, or undefined for a
 * character a font draws. An odd width splits with the extra pixel on the left (as Alacritty
 * does); thirds take whole pixels, the last one the rest.
 */
function blockRects(ch: string, cell: CellSize): Array<[number, number, number, number]> | undefined {
  const cp = ch.codePointAt(0)!;
  const W = cell.width;
  const H = cell.height;
  const left = Math.round(W / 2);
  const half = Math.round(H / 2);
  switch (cp) {
    case 0x2580:
      return [[0, 0, W, half]];
    case 0x2584:
      return [[0, half, W, H - half]];
    case 0x2588:
      return [[0, 0, W, H]];
    case 0x258c:
      return [[0, 0, left, H]];
    case 0x2590:
      return [[left, 0, W - left, H]];
  }
  // Quadrants ▖▗▘▙▚▛▜▝▞▟: bits 1 upper left, 2 upper right, 4 lower left, 8 lower right.
  const QUADRANTS = [4, 8, 1, 1 | 4 | 8, 1 | 8, 1 | 2 | 4, 1 | 2 | 8, 2, 2 | 4, 2 | 4 | 8];
  if (cp >= 0x2596 && cp <= 0x259f) {
    const q = QUADRANTS[cp - 0x2596]!;
    const rects: Array<[number, number, number, number]> = [];
    if (q & 1) rects.push([0, 0, left, half]);
    if (q & 2) rects.push([left, 0, W - left, half]);
    if (q & 4) rects.push([0, half, left, H - half]);
    if (q & 8) rects.push([left, half, W - left, H - half]);
    return rects;
  }
  if (cp >= 0x1fb00 && cp <= 0x1fb3b) {
    // Unicode numbers the sextants by their pattern, skipping the four that had characters already.
    let bits = cp - 0x1fb00 + 1;
    if (bits >= 21) bits++;
    if (bits >= 42) bits++;
    const third = Math.floor(H / 3);
    const tops = [0, third, 2 * third, H];
    const rects: Array<[number, number, number, number]> = [];
    for (let i = 0; i < 6; i++) {
      if (!(bits & (1 << i))) continue;
      const right = i % 2 === 1;
      const row = Math.floor(i / 2);
      rects.push([right ? left : 0, tops[row]!, right ? W - left : left, tops[row + 1]! - tops[row]!]);
    }
    return rects;
  }
  return undefined;
}

/** Reads a QR code with jsqr, not trying the inverted picture (many phone readers do not). */
export function readWithJsqr(picture: Picture): string | undefined {
  return decodeRgba(picture.data, picture.width, picture.height);
}

/**
 * Reads a QR code with ZXing's port (another implementation: its own binarisers, finder and
 * decoder), as a phone does over many frames: the picture as painted, then shrunk 2 to 5 times (a
 * phone farther away), each with ZXing's two binarisers. ZXing's JavaScript port misses a few
 * codes in a hundred drawn perfectly crisp at a given size, and reads the same codes at another;
 * a camera never sees such edges.
 */
export function readWithZxing(picture: Picture): string | undefined {
  for (const factor of [1, 2, 3, 4, 5]) {
    const luminance = shrunk(picture, factor);
    for (const Binarizer of [HybridBinarizer, GlobalHistogramBinarizer]) {
      try {
        const source = new RGBLuminanceSource(luminance.data, luminance.width, luminance.height);
        const hints = new Map<DecodeHintType, unknown>([
          [DecodeHintType.TRY_HARDER, true],
          [DecodeHintType.CHARACTER_SET, 'UTF-8'],
        ]);
        return new QRCodeReader().decode(new BinaryBitmap(new Binarizer(source)), hints).getText();
      } catch {
        // Not found or not decoded in this frame: the next.
      }
    }
  }
  return undefined;
}

/** The picture's luminance shrunk `factor` times (each pixel the mean of a factor × factor box). */
function shrunk(picture: Picture, factor: number): { data: Uint8ClampedArray; width: number; height: number } {
  const width = Math.floor(picture.width / factor);
  const height = Math.floor(picture.height / factor);
  const data = new Uint8ClampedArray(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let dy = 0; dy < factor; dy++) {
        for (let dx = 0; dx < factor; dx++) {
          const i = ((y * factor + dy) * picture.width + x * factor + dx) * 4;
          sum += (picture.data[i]! * 299 + picture.data[i + 1]! * 587 + picture.data[i + 2]! * 114) / 1000;
        }
      }
      data[y * width + x] = sum / (factor * factor);
    }
  }
  return { data, width, height };
}

/** Both readers' answers for what a terminal with this theme shows of `text`. */
export function readScreen(text: string, theme: Theme, size: ScreenSize = {}): { jsqr?: string; zxing?: string } {
  const picture = paintScreen(screenCells(text), theme, size);
  return { jsqr: readWithJsqr(picture), zxing: readWithZxing(picture) };
}

/** The visible width of each line of a terminal drawing (escape sequences take no column). */
export function visibleWidths(art: string): number[] {
  return art
    .split('\n')
    .filter(Boolean)
    .map((line) => [...line.replace(/\u001b\[[0-9;]*m/g, '')].length);
}
