import { darkAt, qrMatrix, type QrMatrix } from './qr-matrix.js';

/**
 * The character drawings of a QR code. A character cell is about twice as tall as it is wide, so:
 * - `half-blocks` (▀ ▄ █, in every font since the 1980s): 1 module across, 2 down, square modules;
 * - `sextants` (U+1FB00–U+1FB3B, Unicode 13): 2 across, 3 down, a third of the height of half
 *   blocks, for the terminals that draw them (see `cli/terminal.ts`).
 * Quadrants (▖…▟) are left out: they halve only the width, and the height is what an 80×24 window lacks.
 */
export type QrGlyphs = 'half-blocks' | 'sextants';

export interface TerminalQrOptions {
  /** Draw with explicit ANSI colours (black modules on bright white). @default true */
  colour?: boolean;
  /** The terminal's background, for the drawing without colours: its glyphs take the foreground. @default 'dark' */
  background?: 'dark' | 'light';
  /** Columns the code may take; unknown means no limit. */
  columns?: number;
  /** Rows the code may take (the window's height less the lines kept under the code); unknown means no limit. */
  rows?: number;
  /** The drawings this terminal shows, in the order to try them. @default ['half-blocks'] */
  glyphs?: readonly QrGlyphs[];
}

export type TerminalQr =
  | { fits: true; art: string; glyphs: QrGlyphs; quiet: number; columns: number; rows: number }
  /** Nothing fits: the smallest drawing the terminal shows needs `columns` × `rows` cells. */
  | { fits: false; columns: number; rows: number };

/** The QR standard's quiet zone, and the least that phone readers cope with reliably. */
export const QUIET_ZONE = { full: 4, least: 2 } as const;

/** Modules a character cell holds, across and down. */
const CELL: Record<QrGlyphs, { across: number; down: number }> = {
  'half-blocks': { across: 1, down: 2 },
  sextants: { across: 2, down: 3 },
};

// Black modules on bright white (107), not white (47), which many themes draw light grey. One colour
// pair for the whole line: the glyph draws the dark modules.
const COLOURS = '\u001b[30;107m';
const RESET = '\u001b[0m';

/**
 * Draws `text` as a QR code for a terminal: the first of the terminal's drawings that fits its
 * columns and rows with the standard quiet zone, else with the least, trying the larger drawing
 * first (bigger modules scan from farther). Never a partial code: when nothing fits, says what the
 * smallest drawing needs, so the CLI can say so in one line.
 */
export async function renderTerminalQr(text: string, options: TerminalQrOptions = {}): Promise<TerminalQr> {
  return drawTerminalQr(await qrMatrix(text), options);
}

export function drawTerminalQr(matrix: QrMatrix, options: TerminalQrOptions = {}): TerminalQr {
  const drawings = options.glyphs?.length ? options.glyphs : (['half-blocks'] as const);
  for (const glyphs of drawings) {
    for (const quiet of [QUIET_ZONE.full, QUIET_ZONE.least]) {
      const size = cellsOf(matrix, glyphs, quiet);
      const fits = (options.columns === undefined || size.columns <= options.columns) && (options.rows === undefined || size.rows <= options.rows);
      if (fits) return { fits: true, art: draw(matrix, glyphs, quiet, options), glyphs, quiet, ...size };
    }
  }
  return { fits: false, ...cellsOf(matrix, drawings.at(-1)!, QUIET_ZONE.least) };
}

/** The cells a drawing of the code with a `quiet`-module margin takes. */
function cellsOf(matrix: QrMatrix, glyphs: QrGlyphs, quiet: number): { columns: number; rows: number } {
  const modules = matrix.size + 2 * quiet;
  const cell = CELL[glyphs];
  return { columns: Math.ceil(modules / cell.across), rows: Math.ceil(modules / cell.down) };
}

function draw(matrix: QrMatrix, glyphs: QrGlyphs, quiet: number, options: TerminalQrOptions): string {
  const colour = options.colour ?? true;
  // Without colours the glyphs take the terminal's foreground: on a dark background that is the
  // light colour, so the glyphs draw the light modules and the background shows through as dark.
  const glyphIsDark = colour || options.background === 'light';
  const { across, down } = CELL[glyphs];
  const modules = matrix.size + 2 * quiet;
  const lines: string[] = [];
  // A last row or column of cells that sticks out past the margin is drawn light: more quiet zone.
  for (let top = 0; top < modules; top += down) {
    let line = '';
    for (let left = 0; left < modules; left += across) {
      let bits = 0;
      for (let y = 0; y < down; y++) {
        for (let x = 0; x < across; x++) {
          const inside = top + y < modules && left + x < modules;
          const dark = inside && darkAt(matrix, quiet, top + y, left + x);
          if (dark === glyphIsDark) bits |= 1 << (y * across + x);
        }
      }
      line += glyphs === 'half-blocks' ? HALF_BLOCKS[bits] : sextant(bits);
    }
    lines.push(colour ? `${COLOURS}${line}${RESET}` : line);
  }
  return lines.join('\n');
}

/** Half blocks by the modules they fill: bit 0 the top, bit 1 the bottom. */
const HALF_BLOCKS = [' ', '\u2580', '\u2584', '\u2588'] as const;

/**
 * The character filling the modules of `bits` (bit 0 top left, 1 top right, 2 middle left, …, 5
 * bottom right). Unicode numbers the sextants in that order but leaves out the four patterns that
 * already had characters: none (space), all (█), the left column (▌, bits 0+2+4 = 21) and the right
 * one (▐, 42).
 */
export function sextant(bits: number): string {
  if (bits === 0) return ' ';
  if (bits === 63) return '\u2588';
  if (bits === 21) return '\u258c';
  if (bits === 42) return '\u2590';
  return String.fromCodePoint(0x1fb00 + bits - 1 - (bits > 21 ? 1 : 0) - (bits > 42 ? 1 : 0));
}
