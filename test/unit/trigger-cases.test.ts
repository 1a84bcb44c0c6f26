import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkEndpoint } from '../../src/trigger/check-endpoint.js';
import { startListener, type ListenerHandle } from '../../src/webhook/listener.js';
import { REMINDER_PAGE_ADVICE } from '../../src/trigger/check-endpoint.js';
import { builtInEvent, malformedBody, oversizedBody, wrongSecretFor } from '../../src/trigger/event.js';
import { bodyStart, toOutcome } from '../../src/trigger/outcome.js';
import { REMINDER_HTML } from '../helpers/localtunnel-server.js';

describe('the check cases', () => {
  const event = builtInEvent({ id: 'v-123', phone: '+62 812-3456-7890' });

  it('the built-in event is the emulator payload, with the given id and phone as digits', () => {
    expect(JSON.parse(event.body.toString())).toMatchObject({
      verificationID: 'v-123',
      userPhone: '6281234567890',
      status: 'verified',
      verifiedTime: expect.any(Number),
    });
    expect(() => builtInEvent({ phone: '0812' })).toThrow(/country code/);
  });

  it('the malformed body starts like the event and is never valid JSON', () => {
    const bad = malformedBody(event.body).toString();
    expect(event.body.toString().startsWith(bad)).toBe(true);
    expect(() => JSON.parse(bad)).toThrow();
    expect(() => JSON.parse(malformedBody(Buffer.from('{}\n')).toString())).toThrow();
  });

  it('the oversized body is valid JSON of exactly the asked size', () => {
    const big = oversizedBody(JSON.parse(event.body.toString()), 100_000);
    expect(big.length).toBe(100_000);
    expect(JSON.parse(big.toString())).toMatchObject({ verificationID: 'v-123' });
  });

  it('the wrong secret has the same length and differs at every position', () => {
    const secret = 'whsec_0123456789abcdefABCDEF';
    for (let i = 0; i < 50; i++) {
      const wrong = wrongSecretFor(secret);
      expect(wrong).toHaveLength(secret.length);
      for (let j = 0; j < secret.length; j++) expect(wrong[j]).not.toBe(secret[j]);
    }
  });
});

describe('bodyStart', () => {
  const secret = 'S3cr3t-Do-Not-Print-9f8e7d';

  it('replaces every occurrence of a secret', () => {
    expect(bodyStart(Buffer.from(`{"secret-key":"${secret}","again":"${secret}"}`), [secret])).toBe('{"secret-key":"[redacted]","again":"[redacted]"}');
  });

  it('drops a tail that could be the start of a secret cut by the body limit', () => {
    expect(bodyStart(Buffer.from(`{"secret-key":"${secret.slice(0, 9)}`), [secret])).toBe('{"secret-key":"');
  });

  it('cuts long bodies to 200 characters', () => {
    expect(bodyStart(Buffer.from('a'.repeat(500)), [])).toBe(`${'a'.repeat(200)}…`);
  });
});

describe("checkEndpoint against this project's own listener", () => {
  it('passes every case: the listener is a correct endpoint', async () => {
    const listener: ListenerHandle = await startListener({ secret: 'listener-secret-0042' });
    try {
      const report = await checkEndpoint({ url: listener.url, secret: 'listener-secret-0042', requestTimeoutMs: 5000 });
      expect(report.cases.map((c) => [c.name, c.verdict])).toEqual([
        ['valid', 'pass'],
        ['duplicate', 'pass'],
        ['no-secret', 'pass'],
        ['wrong-secret', 'pass'],
        ['malformed-json', 'pass'],
        ['wrong-method', 'pass'],
        ['oversized', 'pass'],
      ]);
      expect(report.passed).toBe(true);
      expect(JSON.stringify(report)).not.toContain('listener-secret-0042');
    } finally {
      await listener.close();
    }
  });

  it('refuses to check without a secret', async () => {
    await expect(checkEndpoint({ url: 'http://127.0.0.1:1/webhook', secret: '' })).rejects.toMatchObject({ category: 'usage' });
  });
});

describe("checkEndpoint through loca.lt's reminder page", () => {
  it('names the page and grades no case on it: its 401 is no refusal of a missing or wrong secret', async () => {
    // A tunnel server that shows its reminder page to every request, whatever it carries.
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' }).end(REMINDER_HTML));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
      const report = await checkEndpoint({ url, secret: 'reminder-secret-0042', requestTimeoutMs: 5000 });
      const byName = Object.fromEntries(report.cases.map((c) => [c.name, c]));
      // Before: no-secret and wrong-secret passed (a 401 is the right refusal), and valid blamed the secret.
      expect(byName['no-secret']).toMatchObject({ verdict: 'fail', got: { status: 401, reminderPage: true }, advice: REMINDER_PAGE_ADVICE });
      expect(byName['wrong-secret']).toMatchObject({ verdict: 'fail', got: { reminderPage: true }, advice: REMINDER_PAGE_ADVICE });
      expect(byName.valid!.advice).toBe(REMINDER_PAGE_ADVICE);
      expect(byName.valid!.advice).not.toMatch(/right secret was refused/);
      expect(byName['no-secret']!.got.summary).toBe("401 Unauthorized (loca.lt's reminder page)");
      expect(report.passed).toBe(false);
    } finally {
      server.close();
    }
  });

  it("an endpoint's own 401 (not a tunnel's web page) is still graded as a refusal", () => {
    const outcome = toOutcome({ status: 401, body: Buffer.from('{"ok":false,"error":"secret-missing"}'), requestSent: true, ms: 3 }, 10, []);
    expect(outcome.reminderPage).toBeUndefined();
    expect(outcome.summary).toBe('401 Unauthorized');
  });
});
