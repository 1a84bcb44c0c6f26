import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/emulator.js';
import { runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';

const KEY = 'st_doctor_KEY_never_shown_5521';
const SECRET = 'whsec_doctor_SECRET_never_shown_88';
let emulator: EmulatorHandle;

beforeEach(async () => {
  emulator = await startEmulator({ apiKey: KEY, autoVerifyMs: false });
});
afterEach(async () => {
  await emulator.close();
});

type Check = { id: string; status: string; detail: string; fix?: string };
const byId = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.id, c]));

describe('doctor', () => {
  it('passes every check against the emulator, one row per check, creating nothing', async () => {
    const r = await runCli(['doctor', '--api-url', emulator.url, '--api-key', KEY, '--secret', SECRET, '--tunnel', 'none', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
    expect(doc.ok).toBe(true);
    expect(doc.checks.map((c) => c.id)).toEqual(['node', 'api-key', 'api', 'secret', 'tunnel', 'webhook']);
    const checks = byId(doc.checks);
    expect(checks.api).toMatchObject({ status: 'pass' });
    expect(checks.tunnel).toMatchObject({ status: 'skip' });
    expect(checks.webhook).toMatchObject({ status: 'pass' });
    expect(emulator.verifications.size).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('prints a table for people, with the key masked', async () => {
    const r = await runCli(['doctor', '--api-url', emulator.url, '--tunnel', 'none'], { env: { SENDTALK_API_KEY: KEY, SENDTALK_WEBHOOK_SECRET: SECRET } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✔ API key present\s+••••5521 /);
    expect(r.stdout).toMatch(/from the environment/);
    expect(r.stdout).toMatch(/✔ All checks passed\./);
  });

  it('fails the API row with a wrong key, naming the key, and exits 5', async () => {
    const r = await runCli(['doctor', '--api-url', emulator.url, '--api-key', 'st_wrong_key_123456', '--secret', SECRET, '--tunnel', 'none', '--json']);
    expect(r.code).toBe(5);
    const checks = byId(JSON.parse(r.stdout).checks);
    expect(checks.api!.status).toBe('fail');
    expect(checks.api!.detail).toMatch(/refused the API key/);
    expect(checks.api!.fix).toMatch(/SENDTALK_API_KEY/);
    expect(r.stdout).not.toContain('st_wrong_key_123456');
  });

  it('fails the secret row without a secret', async () => {
    const r = await runCli(['doctor', '--api-url', emulator.url, '--api-key', KEY, '--tunnel', 'none', '--json']);
    expect(r.code).toBe(5);
    expect(byId(JSON.parse(r.stdout).checks).secret).toMatchObject({ status: 'fail', fix: expect.stringMatching(/SENDTALK_WEBHOOK_SECRET/) });
  });

  it('fails the key rows without a key, skipping the API check', async () => {
    const r = await runCli(['doctor', '--secret', SECRET, '--tunnel', 'none', '--json']);
    expect(r.code).toBe(5);
    const checks = byId(JSON.parse(r.stdout).checks);
    expect(checks['api-key']!.status).toBe('fail');
    expect(checks.api!.status).toBe('skip');
  });

  it('fails the API row when the API is unreachable', async () => {
    const port = await freePort();
    const r = await runCli(['doctor', '--api-url', `http://127.0.0.1:${port}`, '--api-key', KEY, '--secret', SECRET, '--tunnel', 'none', '--json']);
    expect(r.code).toBe(5);
    expect(byId(JSON.parse(r.stdout).checks).api!.detail).toMatch(/refused the connection/);
  });

  it('fails the tunnel row in bounded time when the tunnel host is down', async () => {
    const port = await freePort();
    const r = await runCli(['doctor', '--api-url', emulator.url, '--api-key', KEY, '--secret', SECRET, '--json'], {
      env: { SENDTALK_TUNNEL_TIMEOUT: '2s', SENDTALK_TUNNEL_HOST: `http://127.0.0.1:${port}` },
    });
    expect(r.code).toBe(5);
    const checks = byId(JSON.parse(r.stdout).checks);
    expect(checks.tunnel!.status).toBe('fail');
    expect(checks.webhook!.status).toBe('skip');
  });
});
