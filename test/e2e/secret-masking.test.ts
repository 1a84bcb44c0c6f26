import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/emulator.js';
import { runCli, startCli, waitForOutput } from '../helpers/cli.js';
import { send } from '../helpers/listen-process.js';

/** Every way a key or secret is shown uses one rule: nothing of a short one, at most its last 4 characters. */
describe('secrets and keys are masked the same way everywhere', () => {
  const SHORT_SECRET = 'wh12ab34cd56'; // 12 characters: too short to show any of it
  const LONG_KEY = 'zqQXJ7mWp4vKd8rTn2hY9f3e'; // 24 characters, no English in it: the last 4 may show
  let emulator: EmulatorHandle;
  beforeEach(async () => {
    emulator = await startEmulator({ apiKey: LONG_KEY, autoVerifyMs: false });
  });
  afterEach(async () => {
    await emulator.close();
  });

  /** Every run of 3 or more characters of `secret` that appears in `text`. */
  const shownParts = (text: string, secret: string): string[] => {
    const parts: string[] = [];
    for (let i = 0; i + 3 <= secret.length; i++) if (text.includes(secret.slice(i, i + 3))) parts.push(secret.slice(i, i + 3));
    return parts;
  };

  it('doctor shows none of a 12-character secret and only the last 4 of a long key', async () => {
    const r = await runCli(['doctor', '--api-url', emulator.url, '--tunnel', 'none'], {
      env: { SENDTALK_API_KEY: LONG_KEY, SENDTALK_WEBHOOK_SECRET: SHORT_SECRET },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(shownParts(r.stdout + r.stderr, SHORT_SECRET)).toEqual([]);
    expect(shownParts(r.stdout + r.stderr, LONG_KEY.slice(0, -4))).toEqual([]);
    expect(r.stdout).toMatch(/API key present\s+•+9f3e \(/);
    expect(r.stdout).toMatch(/Webhook secret set\s+•+ \(/);
  });

  it('--debug traces mask the API key by the same rule', async () => {
    const r = await runCli([
      'create',
      '--api-url',
      emulator.url,
      '--api-key',
      LONG_KEY,
      '--phone',
      '6281234567890',
      '--tunnel',
      'none',
      '--no-wait',
      '--debug',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('API-Key: ••••9f3e');
    expect(shownParts(r.stdout + r.stderr, LONG_KEY.slice(0, -4))).toEqual([]);
  });
});

/** One rule for credential headers (src/mask.ts isCredentialHeader): the built CLI's --json and --log mask them too. */
describe('credential headers of a delivery', () => {
  it('listen --json and its --log file show X-Api-Token, Authorization and Cookie as [redacted]', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'sendtalk-credentials-')), 'deliveries.ndjson');
    const listen = startCli(['listen', '--tunnel', 'none', '--port', '0', '--log', log, '--json'], { killAfterMs: 20_000 });
    try {
      const url = JSON.parse((await waitForOutput(listen.stdout, /^.*\n/))[0]).webhookUrl as string;
      const headers = {
        'content-type': 'application/json',
        'x-api-token': 'tok-e2e-api-token',
        authorization: 'Bearer tok-e2e-bearer',
        cookie: 'sid=tok-e2e-cookie',
      };
      expect((await send(url, { headers, body: '{"verificationID":"v-cred"}' })).status).toBe(200);
      await waitForOutput(listen.stdout, /"type":"delivery"/);
    } finally {
      listen.child.kill('SIGTERM');
    }
    const r = await listen.done;
    const logged = readFileSync(log, 'utf8');
    for (const [where, text] of [
      ['listen --json', r.stdout + r.stderr],
      ['the --log file', logged],
    ] as const) {
      expect(text, where).not.toContain('tok-e2e');
    }
    const record = JSON.parse(logged.split('\n')[0]!) as { headers: Record<string, string> };
    expect(record.headers).toMatchObject({
      'x-api-token': '[redacted]',
      authorization: '[redacted]',
      cookie: '[redacted]',
      'content-type': 'application/json',
    });
  });
});
