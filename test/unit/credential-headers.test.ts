import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { pageDelivery } from '../../src/inspector/page-state.js';
import { isCredentialHeader } from '../../src/mask.js';
import type { Delivery } from '../../src/webhook/delivery.js';
import { toLogRecord } from '../../src/webhook/delivery-log.js';
import { startListener, type ListenerHandle } from '../../src/webhook/listener.js';

/**
 * One rule for credential headers, whatever path shows a request: the listener's record (which the
 * terminal and `listen --json` print, and `--log` writes as toLogRecord) and the page.
 */
const CREDENTIALS: Record<string, string> = {
  'x-api-token': 'tok-value-x-api-token',
  'x-auth-token': 'tok-value-x-auth-token',
  authorization: 'Bearer tok-value-authorization',
  'proxy-authorization': 'Basic tok-value-proxy',
  cookie: 'session=tok-value-cookie',
  'api-key': 'tok-value-api-key',
  apikey: 'tok-value-apikey',
  'x-client-secret': 'tok-value-client-secret',
  'x-password': 'tok-value-password',
};
const ORDINARY: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'sender/1.0', 'x-request-id': 'req-42' };

let listener: ListenerHandle | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

/** Sends one delivery with every credential header to a real listener; the Delivery it records. */
async function recorded(): Promise<Delivery> {
  let resolveDelivery!: (d: Delivery) => void;
  const seen = new Promise<Delivery>((resolve) => (resolveDelivery = resolve));
  listener = await startListener({ onDelivery: resolveDelivery });
  const url = new URL(listener.url);
  await new Promise<void>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...CREDENTIALS, ...ORDINARY } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end('{"verificationID":"v-1"}');
  });
  return seen;
}

describe('credential headers', () => {
  it.each(Object.keys(CREDENTIALS))('%s is a credential header, in any letter case', (name) => {
    expect(isCredentialHeader(name)).toBe(true);
    expect(isCredentialHeader(name.toUpperCase())).toBe(true);
  });

  it.each(Object.keys(ORDINARY).concat(['x-sendtalk-verify-probe', 'accept', 'host']))('%s is not', (name) => {
    expect(isCredentialHeader(name)).toBe(false);
  });

  it('are masked whole in the terminal and --json (the listener record), the --log line and the page; others are kept', async () => {
    const d = await recorded();
    const shown = {
      'terminal and --json': d.headers,
      '--log': toLogRecord(d).headers,
      page: Object.fromEntries(pageDelivery(d, (text) => text).headers),
    };
    for (const [where, headers] of Object.entries(shown)) {
      for (const name of Object.keys(CREDENTIALS)) expect(headers[name], `${name} on ${where}`).toBe('[redacted]');
      for (const [name, value] of Object.entries(ORDINARY)) expect(headers[name], `${name} on ${where}`).toBe(value);
      expect(JSON.stringify(headers)).not.toContain('tok-value');
    }
  });

  it("are masked on the page even in a Delivery the listener did not record (a library caller's)", () => {
    const d: Delivery = {
      seq: 1,
      receivedAt: '',
      method: 'POST',
      path: '/webhook',
      accepted: true,
      status: 200,
      headers: { ...CREDENTIALS, ...ORDINARY },
      body: Buffer.from('{}'),
    };
    const headers = Object.fromEntries(pageDelivery(d, (text) => text).headers);
    for (const name of Object.keys(CREDENTIALS)) expect(headers[name]).toBe('[redacted]');
    expect(headers['x-request-id']).toBe('req-42');
  });
});
