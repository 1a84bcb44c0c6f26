import { drawTerminalQr, type QrGlyphs, type TerminalQr } from '../../render/qr.js';
import type { QrMatrix } from '../../render/qr-matrix.js';
import type { Output } from '../output.js';
import { QR_DRAWING_ENV, terminalSize } from '../terminal.js';

export interface QrPanelOptions {
  colour: boolean;
  background: 'dark' | 'light';
  glyphs: readonly QrGlyphs[];
  /** Lines printed under the code that must stay on screen with it (the waiting line). */
  linesBelow: number;
  /** Other ways to the code, for the line shown when it does not fit (`use --open to see it on a page`). */
  otherWays: readonly string[];
  /** Whether to keep the code at the bottom of a terminal and redraw it when the window changes. */
  live: boolean;
}

const SGR = /\u001b\[[0-9;]*m/g;

/**
 * The QR code at the bottom of the terminal, just above the waiting line, so that the whole code is
 * on screen however much was printed before it. On a terminal it stays there: a line printed while
 * waiting goes above it (`above`), and a resized window gets the drawing that now fits, or the
 * one-line way out, in place of the old one (never a second copy of anything). Off a terminal (a CI
 * log, SENDTALK_QR=always) the code is printed once, as it fits the width that COLUMNS gives.
 */
export class QrPanel {
  /** The lines on screen now, as printed (colours included). */
  private shown: string[] = [];
  private resizeTimer?: NodeJS.Timeout;
  private readonly onResize = (): void => {
    // A dragged window sends a burst of resizes: draw once it settles.
    clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => this.redraw(), 60);
  };

  private constructor(
    private readonly output: Output,
    private readonly matrix: QrMatrix,
    private readonly options: QrPanelOptions,
    /** Called around every redraw, so the spinner under the code is cleared first and drawn after. */
    private readonly aroundRedraw: (redraw: () => void) => void,
  ) {}

  /** Draws the code (or the line saying what would fit) and, on a terminal, keeps it up to date. */
  static async show(output: Output, link: string, options: QrPanelOptions, aroundRedraw: (redraw: () => void) => void): Promise<QrPanel> {
    const { qrMatrix } = await import('../../render/qr-matrix.js');
    const panel = new QrPanel(output, await qrMatrix(link), options, aroundRedraw);
    panel.draw();
    if (options.live) output.errorStream.on('resize', panel.onResize);
    return panel;
  }

  /** Writes with `write` above the code: the code is erased, the lines written, and the code drawn again under them. */
  above(write: () => void): void {
    if (!this.options.live || this.shown.length === 0) return write();
    this.erase();
    write();
    this.draw();
  }

  /** Stops following the window; what is on screen stays. */
  dispose(): void {
    clearTimeout(this.resizeTimer);
    this.output.errorStream.off('resize', this.onResize);
  }

  private redraw(): void {
    this.aroundRedraw(() => {
      this.erase();
      this.draw();
    });
  }

  private draw(): void {
    const { columns, rows } = terminalSize(this.output.errorStream);
    const space = { columns, rows: rows === undefined ? undefined : rows - this.options.linesBelow };
    const qr = drawTerminalQr(this.matrix, { ...this.options, ...space });
    if (qr.fits) {
      this.output.art(qr.art);
      this.shown = qr.art.split('\n');
    } else {
      const line = this.wayOut(qr, columns, rows);
      this.output.warn(line);
      this.shown = [`⚠ ${line}`];
    }
  }

  /** The one line shown when no drawing fits: what would, and the other ways to the code. */
  private wayOut(qr: Extract<TerminalQr, { fits: false }>, columns: number | undefined, rows: number | undefined): string {
    const need = `${qr.columns}×${qr.rows + this.options.linesBelow}`;
    const have = columns !== undefined && rows !== undefined ? ` (this one is ${columns}×${rows})` : '';
    const ways = ['enlarge it', ...this.options.otherWays];
    if (!this.options.glyphs.includes('sextants')) ways.push(`set ${QR_DRAWING_ENV}=sextants if your terminal draws sextants`);
    return `The QR code needs a ${need} window${have}: ${ways.slice(0, -1).join(', ')}, or ${ways.at(-1)}.`;
  }

  /**
   * Erases what `draw` printed: the cursor goes back up as many screen rows as those lines take at
   * today's width (a terminal that reflows wraps a line wider than the window onto more rows), and
   * everything from there down is cleared. Rows that scrolled off the top cannot be reached, and
   * need not be: they are no longer on screen.
   */
  private erase(): void {
    const { columns } = terminalSize(this.output.errorStream);
    const rows = this.shown.reduce((sum, line) => {
      const width = [...line.replace(SGR, '')].length;
      return sum + (columns ? Math.max(1, Math.ceil(width / columns)) : 1);
    }, 0);
    if (rows > 0) this.output.errorStream.write(`\r\u001b[${rows}A\u001b[J`);
    this.shown = [];
  }
}
