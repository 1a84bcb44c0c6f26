import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLOUDFLARED_MISSING, findCloudflared } from '../../src/tunnel/cloudflared-process.js';

// Which cloudflared `--tunnel cloudflared` runs: CLOUDFLARED_BIN when set, else the first executable
// `cloudflared` on PATH; never one it would have to fetch.

const root = mkdtempSync(join(tmpdir(), 'find-cloudflared-'));
function dir(name: string): string {
  const path = join(root, name);
  mkdirSync(path, { recursive: true });
  return path;
}
function binary(at: string, mode: number): string {
  const path = join(at, 'cloudflared');
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, mode);
  return path;
}

describe.skipIf(process.platform === 'win32')('findCloudflared', () => {
  it('runs CLOUDFLARED_BIN when it names an executable file', async () => {
    const path = binary(dir('explicit'), 0o755);
    await expect(findCloudflared(path, '')).resolves.toBe(path);
  });

  it('refuses a CLOUDFLARED_BIN that is not executable, or not a file, naming it', async () => {
    const plain = binary(dir('not-executable'), 0o644);
    for (const path of [plain, dir('a-directory'), join(root, 'missing')]) {
      const error = await findCloudflared(path, '').catch((e: unknown) => e);
      expect(error, path).toMatchObject({ category: 'tunnel', code: CLOUDFLARED_MISSING });
      expect((error as Error).message).toBe(`CLOUDFLARED_BIN names ${path}, which is not an executable file.`);
    }
  });

  it('takes the first executable cloudflared on PATH, skipping empty entries and what cannot run', async () => {
    const empty = dir('path-empty');
    const notExecutable = dir('path-not-executable');
    binary(notExecutable, 0o644);
    const first = binary(dir('path-first'), 0o755);
    binary(dir('path-second'), 0o755);
    const searchPath = ['', empty, notExecutable, dir('path-first'), dir('path-second')].join(delimiter);
    await expect(findCloudflared(undefined, searchPath)).resolves.toBe(first);
    // An empty CLOUDFLARED_BIN is no choice: PATH decides.
    await expect(findCloudflared('', searchPath)).resolves.toBe(first);
  });

  it('says it is not installed, and what to do, when PATH has none', async () => {
    const error = await findCloudflared(undefined, [dir('none-here'), ''].join(delimiter)).catch((e: unknown) => e);
    expect(error).toMatchObject({ category: 'tunnel', code: CLOUDFLARED_MISSING });
    expect((error as Error).message).toBe('cloudflared is not installed: it is not on PATH, and CLOUDFLARED_BIN is not set.');
    expect((error as { hint?: string }).hint).toMatch(/this tool downloads nothing\. Or use --tunnel localtunnel/);
  });
});
