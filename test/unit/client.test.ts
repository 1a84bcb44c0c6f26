import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVerification, CREATE_PATH } from '../../src/client/create-verification.js';
import { SendtalkVerifyError } from '../../src/errors.js';
import { envelope, FakeApi } from '../helpers/fake-api.js';

const KEY = 'live_key_0123456789abcdef';
let api: FakeApi;

beforeEach(async () => {
  api = await new FakeApi().start();
});
afterEach(async () => {
  await api.stop();
});

async function failure(promise: Promise<unknown>): Promise<SendtalkVerifyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SendtalkVerifyError);
  return error as SendtalkVerifyError;
}

const create = (extra: Partial<Parameters<typeof createVerification>[0]> = {}) =>
  createVerification({ apiKey: KEY, apiUrl: api.url, phone: '+62 812-3456-7890', retries: 0, ...extra });

describe('createVerification request', () => {
  it('posts the documented body and headers to the create path', async () => {
    api.answer({ body: envelope({ id: 'v1', waLink: 'https://wa.me/1?text=hi' }) });
    await create({ language: 'id', expiryMinutes: 5, appUrl: 'https://app.example/back' });
    expect(api.requests).toHaveLength(1);
    const [request] = api.requests;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe(CREATE_PATH);
    expect(request!.headers['api-key']).toBe(KEY);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['user-agent']).toMatch(/^sendtalk-verify\/\d+\.\d+\.\d+/);
    expect(JSON.parse(request!.body)).toEqual({ userPhone: '6281234567890', languageCode: 'id', expiryMinutes: 5, appURL: 'https://app.example/back' });
  });

  it('leaves optional fields out and defaults the language to en', async () => {
    api.answer({ body: envelope({ id: 'v1', waLink: 'https://wa.me/1' }) });
    await create();
    expect(JSON.parse(api.requests[0]!.body)).toEqual({ userPhone: '6281234567890', languageCode: 'en' });
  });
});

describe('createVerification answers', () => {
  it('reads a success envelope with the published aliases', async () => {
    api.answer({
      body: envelope({
        verificationID: 'abc',
        waLink: 'https://wa.me/62811?text=Hello%20there',
        waMessage: 'Hello there',
        qrCode: 'https://qr/abc',
        expiredTime: 1_800_000_000_000,
      }),
    });
    const v = await create();
    expect(v).toMatchObject({
      id: 'abc',
      link: 'https://wa.me/62811?text=Hello%20there',
      message: 'Hello there',
      qr: 'https://qr/abc',
      phone: '6281234567890',
    });
    expect(v.expiresAt).toBe(new Date(1_800_000_000_000).toISOString());
    expect(v.raw).toHaveProperty('verificationID', 'abc');
  });

  it.each([
    [{ verificationId: 'a1', whatsappLink: 'https://wa.me/1?text=m1' }, 'a1', 'm1'],
    [{ id: 42, whatsappMessageLink: 'https://wa.me/1', whatsappMessage: 'm2' }, '42', 'm2'],
    [{ verification: { verification_id: 'n1', link: 'https://wa.me/1', message: 'm3' } }, 'n1', 'm3'],
    [{ VerificationID: 'c1', WALink: 'https://wa.me/1?text=caps' }, 'c1', 'caps'],
  ])('understands alias shape %j', async (data, id, message) => {
    api.answer({ body: envelope(data) });
    const v = await create();
    expect(v.id).toBe(id);
    expect(v.message).toBe(message);
  });

  it('names the missing field and shows the keys it got', async () => {
    api.answer({ body: envelope({ verificationID: 'abc', somethingElse: 1 }) });
    const error = await failure(create());
    expect(error.message).toMatch(/no WhatsApp link/);
    expect(error.message).toContain('verificationID, somethingElse');
    expect(error.category).toBe('api-unavailable');
  });

  it('treats an HTTP 200 error envelope as a rejection with code, message and field', async () => {
    api.answer({ body: envelope(null, { code: '40002', message: 'Phone is required', field: 'phone' }, 400) });
    const error = await failure(create());
    expect(error.category).toBe('api-rejected');
    expect(error.exitCode).toBe(4);
    expect(error.message).toContain('Phone is required');
    expect(error.code).toBe('40002');
    expect(error.field).toBe('phone');
    expect(error.hint).toContain('--phone');
  });

  it('points at the API key for a header validation error', async () => {
    api.answer({ body: envelope(null, { code: 'HeaderValidationFailed', message: 'API-Key is invalid', field: 'API-Key' }, 401) });
    const error = await failure(create());
    expect(error.exitCode).toBe(4);
    expect(error.hint).toContain('SENDTALK_API_KEY');
  });

  it('reports an HTML 502 as unavailable, not as a rejection', async () => {
    api.answer({ status: 502, body: '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>' });
    const error = await failure(create());
    expect(error.category).toBe('api-unavailable');
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(/HTTP 502 with an HTML page \("502 Bad Gateway"\)/);
  });

  it('reports an HTTP 500 JSON body without an envelope', async () => {
    api.answer({ status: 500, body: { oops: true } });
    const error = await failure(create());
    expect(error.message).toBe('SendTalk API answered HTTP 500.');
    expect(error.exitCode).toBe(1);
  });

  it('bounds a hanging response', async () => {
    api.answer({ hang: true });
    const error = await failure(create({ responseTimeoutMs: 300 }));
    expect(error.message).toMatch(/did not answer within 0.3 s/);
    expect(error.exitCode).toBe(1);
  });

  it('reports a refused connection', async () => {
    const url = api.url;
    await api.stop();
    const error = await failure(createVerification({ apiKey: KEY, apiUrl: url, phone: '6281234567890', retries: 0 }));
    expect(error.message).toMatch(/refused the connection/);
  });

  it('retries a 503 and then succeeds', async () => {
    api.answer({ status: 503, headers: { 'retry-after': '0' }, body: 'busy' }, { body: envelope({ id: 'v9', waLink: 'https://wa.me/1' }) });
    const v = await create({ retries: 1 });
    expect(v.id).toBe('v9');
    expect(api.requests).toHaveLength(2);
  });

  it('never retries an error envelope', async () => {
    api.answer({ body: envelope(null, { code: '40002', message: 'Phone is invalid', field: 'phone' }, 400) });
    await failure(create({ retries: 2 }));
    expect(api.requests).toHaveLength(1);
  });

  it('refuses to call without a key, before any request', async () => {
    const error = await failure(create({ apiKey: '' }));
    expect(error.exitCode).toBe(2);
    expect(error.hint).toContain('--sandbox');
    expect(api.requests).toHaveLength(0);
  });

  it('keeps the API key out of every error it raises', async () => {
    api.answer({ status: 502, body: `<html>${KEY}</html>` }, { hang: true });
    for (const attempt of [create(), create({ responseTimeoutMs: 200 })]) {
      const error = await failure(attempt);
      expect(`${error.message} ${error.hint} ${JSON.stringify(error.details)}`).not.toContain(KEY);
    }
  });
});

describe('createVerification retries', () => {
  it('reads Retry-After as seconds or as an HTTP date', async () => {
    const { retryAfterMs } = await import('../../src/http/client.js');
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(['0'])).toBe(0);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs(new Date(0).toUTCString(), 4000)).toBe(0);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });

  it('does not retry a 429 that asks for more than the longest wait, and says when to try again', async () => {
    api.answer({
      status: 429,
      headers: { 'retry-after': '120' },
      body: { status: 429, error: { code: 'TooManyRequests', message: 'slow down', field: '' }, data: null },
    });
    const error = await failure(create({ retries: 2 }));
    expect(api.requests).toHaveLength(1);
    expect(error.category).toBe('api-unavailable');
    expect(error.message).toBe('SendTalk API is rate-limiting this key: HTTP 429, Retry-After 120 s.');
    expect(error.hint).toContain('in 120 s');
  });

  it('bounds an answer that trickles in, however slowly', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      const drip = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(drip));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const error = await failure(
        createVerification({
          apiKey: KEY,
          apiUrl: `http://127.0.0.1:${port}`,
          phone: '6281234567890',
          retries: 0,
          connectTimeoutMs: 200,
          responseTimeoutMs: 400,
        }),
      );
      expect(error.message).toMatch(/started answering but did not finish within 0.4 s/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
