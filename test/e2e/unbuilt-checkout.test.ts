import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { BIN, cleanEnv } from '../helpers/cli.js';

/** A fresh clone before `npm run build`: the bin shim is there, dist/ is not. */
describe('the bin in a checkout that was not built', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sendtalk-unbuilt-'));
    await cp(dirname(BIN), join(root, 'bin'), { recursive: true });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('says in one line to run npm run build, exit 1, no stack', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'sendtalk-verify.js'), '--help'], { env: cleanEnv(), encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/npm run build/);
    expect(r.stderr).not.toMatch(/Cannot find module|^\s+at /m);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
