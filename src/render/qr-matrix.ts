/** A QR code as its modules: `modules[row][col]` is true for a dark module. No quiet zone. */
export interface QrMatrix {
  readonly size: number;
  readonly modules: ReadonlyArray<ReadonlyArray<boolean>>;
}

/** Error correction level L, as the model's QRErrorCorrectLevel table numbers it. */
const LEVEL_L = 1;

/**
 * Encodes `text` with the QR model qrcode-terminal vendors (loaded on first use), at its error
 * correction level L: the smallest code, so that a long wa.me link still fits an 80-column terminal.
 * The model writes one byte per UTF-16 unit, so the text goes in as its UTF-8 bytes: a link with
 * non-ASCII characters then decodes to what it was.
 */
export async function qrMatrix(text: string): Promise<QrMatrix> {
  const { default: QRCode } = await import('qrcode-terminal/vendor/QRCode/index.js');
  const code = new QRCode(-1, LEVEL_L);
  code.addData(Buffer.from(text, 'utf8').toString('latin1'));
  code.make();
  const size = code.getModuleCount();
  const modules = Array.from({ length: size }, (_, row) => Array.from({ length: size }, (_, col) => code.isDark(row, col)));
  return { size, modules };
}

/** Whether the module at (row, col) of the code with a `quiet`-module margin is dark (the margin is light). */
export function darkAt(matrix: QrMatrix, quiet: number, row: number, col: number): boolean {
  return matrix.modules[row - quiet]?.[col - quiet] ?? false;
}
