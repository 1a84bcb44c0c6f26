import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { SendtalkVerifyError } from '../errors.js';
import { replaceFile, writeTarget, type FileRole } from '../safe-file.js';
import { qrPng, qrSvg } from './qr-image.js';
import { qrMatrix } from './qr-matrix.js';

export type QrFileFormat = 'svg' | 'png';

const ROLE: FileRole = {
  flag: '--qr-file',
  noun: 'the QR code file',
  hint: 'Pass a file in an existing, writable folder, e.g. --qr-file qr.svg or --qr-file qr.png.',
};

/**
 * The format the name asks for: `.png` or `.svg` (any case), SVG for a name without an extension;
 * undefined for any other extension, which would name a format the file is not.
 */
export function qrFileFormat(path: string): QrFileFormat | undefined {
  const extension = extname(path).toLowerCase();
  if (extension === '.png') return 'png';
  return extension === '.svg' || extension === '' ? 'svg' : undefined;
}

/**
 * Checks, before anything is created, that `path` can be written: its folder exists and is
 * writable and the path is absent or a regular file. A verification is not spent on a typo in a file name.
 */
export async function checkQrFilePath(path: string): Promise<string> {
  const full = resolve(path);
  if (qrFileFormat(full) === undefined) {
    throw new SendtalkVerifyError('usage', `--qr-file ${path}: only .svg and .png files can be written, not ${extname(full)}.`, {
      hint: 'Name the file for one of them, e.g. --qr-file qr.svg or --qr-file qr.png.',
    });
  }
  const fail = (why: string): never => {
    throw new SendtalkVerifyError('usage', `--qr-file ${path}: ${why}.`, { hint: ROLE.hint });
  };
  const folder = await stat(dirname(full)).catch(() => undefined);
  if (!folder?.isDirectory()) fail(`the folder ${dirname(full)} does not exist`);
  // A device, a FIFO or a folder at the path is refused now, not replaced later.
  await writeTarget(path, ROLE);
  await access(dirname(full), constants.W_OK).catch(() => fail(`the folder ${dirname(full)} is not writable`));
  return full;
}

/**
 * Writes `text` as a QR code to `path` (see `qrFileFormat`). Written to a temporary file beside it
 * and renamed (see `replaceFile`), so that a reader never sees half a picture, an existing file is
 * only replaced whole, and a device or FIFO at the path is refused, never replaced.
 */
export async function writeQrFile(path: string, text: string): Promise<{ path: string; format: QrFileFormat; bytes: number }> {
  const full = resolve(path);
  // checkQrFilePath refused every other extension before anything was created.
  const format = qrFileFormat(full) ?? 'svg';
  const matrix = await qrMatrix(text);
  const data = format === 'png' ? qrPng(matrix) : Buffer.from(qrSvg(matrix, { title: text }), 'utf8');
  await replaceFile(path, data, ROLE);
  return { path: full, format, bytes: data.length };
}
