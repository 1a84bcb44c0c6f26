import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/emulator.js';
import { runCli } from '../helpers/cli.js';

// Three emulators, each accepting only "its" key: which one gets the verification shows which
// configuration source won, on the wire.
let flagApi: EmulatorHandle;
let envApi: EmulatorHandle;
let fileApi: EmulatorHandle;
let cwd: string;

beforeAll(async () => {
  flagApi = await startEmulator({ apiKey: 'key-flag-0001', autoVerifyMs: false });
  envApi = await startEmulator({ apiKey: 'key-env-00002', autoVerifyMs: false });
  fileApi = await startEmulator({ apiKey: 'key-file-0003', autoVerifyMs: false });
  cwd = mkdtempSync(join(tmpdir(), 'stv-precedence-'));
  writeFileSync(join(cwd, '.env'), `SENDTALK_API_URL=${fileApi.url}\nSENDTALK_API_KEY=key-file-0003\n`);
});
afterAll(async () => {
  await Promise.all([flagApi, envApi, fileApi].map((e) => e.close()));
});

const create = ['create', '--phone', '6281234567890', '--no-wait', '--json'];
const count = () => [flagApi, envApi, fileApi].map((e) => e.verifications.size);

describe('configuration precedence, end to end', () => {
  it('uses .env when nothing else is given', async () => {
    const before = count();
    const r = await runCli(create, { cwd });
    expect(r.code).toBe(0);
    expect(count()).toEqual([before[0], before[1], before[2]! + 1]);
  });

  it('lets the environment override .env', async () => {
    const before = count();
    const r = await runCli(create, { cwd, env: { SENDTALK_API_URL: envApi.url, SENDTALK_API_KEY: 'key-env-00002' } });
    expect(r.code).toBe(0);
    expect(count()).toEqual([before[0], before[1]! + 1, before[2]]);
  });

  it('lets flags override the environment and .env', async () => {
    const before = count();
    const r = await runCli([...create, '--api-url', flagApi.url, '--api-key', 'key-flag-0001'], {
      cwd,
      env: { SENDTALK_API_URL: envApi.url, SENDTALK_API_KEY: 'key-env-00002' },
    });
    expect(r.code).toBe(0);
    expect(count()).toEqual([before[0]! + 1, before[1], before[2]]);
  });

  it('mixes sources per setting: a flag key with the .env URL is refused by that API', async () => {
    const r = await runCli([...create, '--api-key', 'key-flag-0001'], { cwd });
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).error.message).toMatch(/API-Key is not found/);
  });
});
