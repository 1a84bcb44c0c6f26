import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { decodeCells, decodePng, surround } from '../helpers/qr-reader.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qr-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const link = (stdout: string): string => /Link\s+(\S+)/.exec(stdout)![1]!;

/**
 * Rasterises the SVG the way a viewer would for this document: its white square, then each
 * rectangle of its path in black (the real rendering is checked in a browser by page-browser.test.ts).
 */
function svgCells(svg: string): boolean[][] {
  const size = Number(/viewBox="0 0 (\d+) \d+"/.exec(svg)![1]);
  expect(svg).toMatch(new RegExp(`<rect width="${size}" height="${size}" fill="#fff"/>`));
  const cells = Array.from({ length: size }, () => Array.from({ length: size }, () => false));
  for (const [, x, y, run] of svg.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    for (let i = 0; i < Number(run); i++) cells[Number(y)]![Number(x) + i] = true;
  }
  return surround(cells, false, 0);
}

describe('create --qr-file', () => {
  it('writes an SVG that decodes to the printed link', async () => {
    const file = join(dir, 'code.svg');
    const r = await runCli(['create', '--sandbox', '--qr-file', file], { env: { SENDTALK_SANDBOX_DELAY: '0' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`QR code written to ${file} (SVG)`);
    const svg = await readFile(file, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(decodeCells(svgCells(svg))).toBe(link(r.stdout));
    expect(await readdir(dir)).toEqual(['code.svg']); // no temporary file left behind
  });

  it('writes a PNG when the name ends in .png, and it decodes to the printed link', async () => {
    const file = join(dir, 'code.PNG');
    const r = await runCli(['create', '--sandbox', '--language', 'id', '--qr-file', file, '--json'], { env: { SENDTALK_SANDBOX_DELAY: '0' } });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const png = await readFile(file);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(decodePng(png)).toBe(doc.link);
  });

  it('refuses a path it cannot write before creating anything: exit 2, and an existing file is untouched', async () => {
    const missing = await runCli(['create', '--sandbox', '--qr-file', join(dir, 'no-such-folder', 'qr.png')], { env: { SENDTALK_SANDBOX_DELAY: '0' } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--qr-file .*no-such-folder.*: the folder .* does not exist\./);
    expect(missing.stderr).toMatch(/Pass a file in an existing, writable folder/);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).not.toMatch(/Verification created|Sandbox:/);

    const folder = await runCli(['create', '--sandbox', '--qr-file', dir], { env: { SENDTALK_SANDBOX_DELAY: '0' } });
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/is a directory; --qr-file needs a regular file/);

    const kept = join(dir, 'kept.svg');
    await writeFile(kept, 'before');
    const both = await runCli(['create', '--sandbox', '--qr-file', kept, '--phone', '123'], { env: { SENDTALK_SANDBOX_DELAY: '0' } });
    expect(both.code).toBe(2);
    expect(await readFile(kept, 'utf8')).toBe('before');
  });
});
