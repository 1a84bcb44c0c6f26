import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/emulator.js';

let emulator: EmulatorHandle | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** A raw request, so that Host, Origin and Sec-Fetch-Site are exactly what a browser would send. */
function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; json: any }> {
  const { port } = new URL(emulator!.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (res) => {
      let text = '';
      res
        .setEncoding('utf8')
        .on('data', (c: string) => {
          text += c;
        })
        .on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const repoint = JSON.stringify({ url: 'http://attacker.example/hook' });

describe('the emulator control API guard', () => {
  it('answers tools on loopback: curl, test suites, the library', async () => {
    emulator = await startEmulator({ autoVerifyMs: false });
    const port = new URL(emulator.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      expect((await send('GET', '/_emulator/webhook', { host })).status, host).toBe(200);
    }
    // A page of the emulator's own origin, sending JSON.
    expect(
      (
        await send(
          'PUT',
          '/_emulator/webhook',
          { host: `localhost:${port}`, origin: `http://localhost:${port}`, 'content-type': 'application/json' },
          JSON.stringify({ url: 'http://127.0.0.1:3000/hook' }),
        )
      ).status,
    ).toBe(200);
  });

  it('refuses a page on another port of localhost (same site, other origin), and a text/plain call from its own origin', async () => {
    emulator = await startEmulator({ autoVerifyMs: false });
    const port = new URL(emulator.url).port;
    const host = `127.0.0.1:${port}`;
    const fromOtherPort = await send(
      'POST',
      '/_emulator/offline',
      { host, origin: 'http://localhost:3000', 'sec-fetch-site': 'same-site', 'content-type': 'text/plain' },
      '{"ms":60000}',
    );
    expect(fromOtherPort.status).toBe(403);
    expect(fromOtherPort.json.error).toBe('the control API does not answer requests from other origins');
    const plain = await send('POST', '/_emulator/offline', { host, origin: `http://127.0.0.1:${port}`, 'content-type': 'text/plain' }, '{"ms":60000}');
    expect(plain.status).toBe(403);
    expect(plain.json.error).toMatch(/Content-Type: application\/json/);
    // Still online: the create API answers.
    expect((await send('GET', '/_emulator', { host })).status).toBe(200);
  });

  it('checks Host on the emulated API too: a rebound name gets 403, never a verification', async () => {
    emulator = await startEmulator({ autoVerifyMs: false });
    const port = new URL(emulator.url).port;
    const body = JSON.stringify({ userPhone: '6281234567890', languageCode: 'en' });
    const rebound = await send(
      'POST',
      '/api/v1/verification/create_whatsapp_verification',
      { host: `rebind.attacker.example:${port}`, 'content-type': 'application/json', 'api-key': 'k' },
      body,
    );
    expect(rebound.status).toBe(403);
    expect(rebound.json.error.message).toMatch(/^Forbidden: the emulator answers only requests addressed to a loopback host/);
    expect((await send('GET', '/_emulator/verifications', { host: `127.0.0.1:${port}` })).json).toEqual({ verifications: [] });
  });

  it('refuses DNS rebinding (a foreign Host) and cross-site browser requests, re-pointing nothing', async () => {
    emulator = await startEmulator({ autoVerifyMs: false });
    const port = new URL(emulator.url).port;
    const refused: Array<Record<string, string>> = [
      { host: `rebind.attacker.example:${port}` },
      { host: `127.0.0.1:${port}`, origin: 'https://attacker.example' },
      { host: `127.0.0.1:${port}`, origin: 'null' },
      { host: `127.0.0.1:${port}`, 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of refused) {
      const answer = await send('PUT', '/_emulator/webhook', { ...headers, 'content-type': 'text/plain' }, repoint);
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect(answer.json.error).toMatch(/^the (control API|emulator) /);
    }
    expect((await send('GET', '/_emulator/webhook', { host: `127.0.0.1:${port}` })).json.url).not.toBe('http://attacker.example/hook');
  });
});
