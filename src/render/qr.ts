import { darkAt, qrMatrix, type QrMatrix } from './qr-matrix.js';

/**
 * How the terminal QR code is drawn.
 * - `colour`: explicit colours (black modules on a bright white quiet zone), right on any background.
 * - `plain` (NO_COLOR, or no colours): glyphs only, so the terminal's own colours show; `background`
 *   says which of its colours is the dark one.
 */
export interface TerminalQrOptions {
  /** Draw with explicit ANSI colours. @default true */
  colour?: boolean;
  /** The terminal's background, for the plain drawing: the glyphs are drawn in its foreground. @default 'dark' */
  background?: 'dark' | 'light';
  /** Width of the terminal in columns; unknown means no limit. */
  columns?: number;
  /** Height of the terminal in rows; unknown means no limit. */
  rows?: number;
}

export type TerminalQr =
  | { fits: true; art: string; quiet: number; width: number }
  /** The code needs `needed` columns (with the smallest quiet zone) and the terminal has `columns`. */
  | { fits: false; needed: number; columns: number };

/** The QR standard's quiet zone, and the least that phone readers cope with reliably. */
export const QUIET_ZONE = { full: 4, least: 2 } as const;

const UPPER = '\u2580';
const LOWER = '\u2584';
const FULL = '\u2588';
// Bright white (97/107) rather than white (37/47), which many themes draw light grey.
const SGR = { fg: { dark: 30, light: 97 }, bg: { dark: 40, light: 107 } } as const;

/**
 * Draws `text` as a QR code for a terminal, two modules per character row (half blocks), with a
 * quiet zone of four modules where the terminal is wide and tall enough, else two. Never wider
 * than `columns`: when even two modules of quiet zone do not fit, says so instead of drawing a
 * code that the terminal would wrap into noise.
 */
export async function renderTerminalQr(text: string, options: TerminalQrOptions = {}): Promise<TerminalQr> {
  return drawTerminalQr(await qrMatrix(text), options);
}

export function drawTerminalQr(matrix: QrMatrix, options: TerminalQrOptions = {}): TerminalQr {
  const quiet = quietZone(matrix.size, options.columns, options.rows);
  if (quiet === undefined) return { fits: false, needed: matrix.size + 2 * QUIET_ZONE.least, columns: options.columns ?? 0 };
  const width = matrix.size + 2 * quiet;
  const colour = options.colour ?? true;
  const lightIsGlyph = (options.background ?? 'dark') === 'dark';
  const lines: string[] = [];
  // An odd height leaves the last character row half empty: it is drawn light, one more row of quiet zone.
  for (let row = 0; row < width; row += 2) {
    let line = '';
    let sgr = '';
    for (let col = 0; col < width; col++) {
      const top = darkAt(matrix, quiet, row, col);
      const bottom = row + 1 < width && darkAt(matrix, quiet, row + 1, col);
      if (colour) {
        // The colours are written only where they change: a line is a few hundred bytes, not a few thousand.
        const next = colourCode(top, bottom);
        line += next === sgr ? UPPER : `${next}${UPPER}`;
        sgr = next;
      } else line += plainCell(lightIsGlyph ? !top : top, lightIsGlyph ? !bottom : bottom);
    }
    lines.push(colour ? `${line}\u001b[0m` : line);
  }
  return { fits: true, art: lines.join('\n'), quiet, width };
}

/** The quiet zone that fits, or undefined when not even the least does. */
function quietZone(size: number, columns: number | undefined, rows: number | undefined): number | undefined {
  const fitsWidth = (quiet: number): boolean => columns === undefined || size + 2 * quiet <= columns;
  // One row is left for the line under the code, so the top of the code stays on screen.
  const fitsHeight = (quiet: number): boolean => rows === undefined || Math.ceil((size + 2 * quiet) / 2) + 1 <= rows;
  if (fitsWidth(QUIET_ZONE.full) && fitsHeight(QUIET_ZONE.full)) return QUIET_ZONE.full;
  return fitsWidth(QUIET_ZONE.least) ? QUIET_ZONE.least : undefined;
}

/** The colours of a cell, drawn as an upper half block: the top module's is the foreground. */
function colourCode(topDark: boolean, bottomDark: boolean): string {
  return `\u001b[${SGR.fg[topDark ? 'dark' : 'light']};${SGR.bg[bottomDark ? 'dark' : 'light']}m`;
}

/** A cell of the plain drawing: `top`/`bottom` say which halves are drawn (in the terminal's foreground). */
function plainCell(top: boolean, bottom: boolean): string {
  if (top && bottom) return FULL;
  if (top) return UPPER;
  if (bottom) return LOWER;
  return ' ';
}
