import { crc32, deflateSync } from 'node:zlib';
import { QUIET_ZONE } from './qr.js';
import { darkAt, type QrMatrix } from './qr-matrix.js';

/**
 * The QR code as an SVG document: one path of unit squares on a white square, with the standard
 * four-module quiet zone. `crispEdges` keeps scaled modules sharp; `size` is the drawn width in
 * pixels, which any viewer may scale.
 */
export function qrSvg(matrix: QrMatrix, options: { size?: number; title?: string } = {}): string {
  const quiet = QUIET_ZONE.full;
  const width = matrix.size + 2 * quiet;
  const px = options.size ?? width * 8;
  let path = '';
  for (let row = 0; row < matrix.size; row++) {
    for (let col = 0; col < matrix.size; col++) {
      // Runs of dark modules in a row become one rectangle: a third of the size of a square each.
      if (!matrix.modules[row]![col] || matrix.modules[row]![col - 1]) continue;
      let run = 1;
      while (matrix.modules[row]![col + run]) run++;
      path += `M${col + quiet} ${row + quiet}h${run}v1h-${run}z`;
    }
  }
  const title = options.title ? `<title>${escapeXml(options.title)}</title>` : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${width}" width="${px}" height="${px}" shape-rendering="crispEdges" role="img">` +
    `${title}<rect width="${width}" height="${width}" fill="#fff"/><path fill="#000" d="${path}"/></svg>\n`
  );
}

/**
 * The QR code as a PNG: 8-bit greyscale, `scale` pixels a module, four-module quiet zone. Written
 * by hand (a signature, IHDR, one zlib-compressed IDAT, IEND): an image library would be a
 * thousand times the code for one black-and-white picture.
 */
export function qrPng(matrix: QrMatrix, scale = 8): Buffer {
  const quiet = QUIET_ZONE.full;
  const modules = matrix.size + 2 * quiet;
  const px = modules * scale;
  const stride = px + 1; // each scanline starts with its filter byte (0: none)
  const raw = Buffer.alloc(stride * px, 0xff);
  for (let y = 0; y < px; y++) {
    raw[y * stride] = 0;
    const row = Math.floor(y / scale);
    for (let x = 0; x < px; x++) {
      if (darkAt(matrix, quiet, row, Math.floor(x / scale))) raw[y * stride + 1 + x] = 0;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(px, 0);
  header.writeUInt32BE(px, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // colour type: greyscale
  // compression, filter and interlace methods: 0, the only ones defined
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
