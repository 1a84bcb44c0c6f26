import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startListener, type Delivery, type ListenerHandle } from '../../src/webhook/listener.js';

const SECRET = 'listener-secret-123456';
let listener: ListenerHandle;
let seen: Delivery[];

beforeEach(async () => {
  seen = [];
  listener = await startListener({ secret: SECRET, maxBodyBytes: 1024, onDelivery: (d) => seen.push(d) });
});
afterEach(async () => {
  await listener.close();
});

function send(options: {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `http://127.0.0.1:${listener.port}${options.path ?? '/webhook'}`,
      { method: options.method ?? 'POST', headers: options.headers },
      (res) => {
        let text = '';
        res
          .setEncoding('utf8')
          .on('data', (c: string) => {
            text += c;
          })
          .on('end', () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const good = { 'secret-key': SECRET, 'content-type': 'application/json' };

describe('webhook listener answers', () => {
  it('binds to loopback and reports its URL', () => {
    expect(listener.url).toBe(`http://127.0.0.1:${listener.port}/webhook`);
  });

  it('accepts a POST with the right secret and a JSON object', async () => {
    const res = await send({ headers: good, body: JSON.stringify({ verificationID: 'v1', userPhone: '6281234567890' }) });
    expect(res.status).toBe(200);
    expect(seen[0]).toMatchObject({ accepted: true, verificationId: 'v1', phone: '6281234567890', secretCheck: 'ok' });
    expect(listener.accepted).toHaveLength(1);
  });

  it.each([
    ['a missing secret', { headers: { 'content-type': 'application/json' }, body: '{}' }, 401, 'secret-missing'],
    ['a wrong secret', { headers: { 'secret-key': 'nope' }, body: '{}' }, 401, 'secret-mismatch'],
    ['an empty secret', { headers: { 'secret-key': '' }, body: '{}' }, 401, 'secret-missing'],
    ['invalid JSON', { headers: good, body: '{"verificationID":' }, 400, 'not-json'],
    ['an empty body', { headers: good, body: '' }, 400, 'not-json'],
    ['a JSON array', { headers: good, body: '[1,2]' }, 400, 'not-object'],
    ['a JSON string', { headers: good, body: '"verified"' }, 400, 'not-object'],
    ['a body over the limit', { headers: good, body: `{"a":"${'x'.repeat(2000)}"}` }, 413, 'too-large'],
    ['a form body', { headers: { ...good, 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }, 415, 'unsupported-media-type'],
    ['a GET', { method: 'GET', headers: good }, 405, 'method-not-allowed'],
    ['a PUT', { method: 'PUT', headers: good, body: '{}' }, 405, 'method-not-allowed'],
    ['another path', { path: '/other', headers: good, body: '{}' }, 404, 'not-found'],
    ['a path prefix trick', { path: '/webhook/../admin', headers: good, body: '{}' }, 404, 'not-found'],
  ] as const)('refuses %s', async (_name, options, status, reason) => {
    const res = await send(options);
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body)).toMatchObject({ reason });
    expect(seen.at(-1)).toMatchObject({ accepted: false, status, reason });
    expect(listener.accepted).toHaveLength(0);
  });

  it.each([
    ['no content type', { 'secret-key': SECRET }],
    ['a +json content type', { 'secret-key': SECRET, 'content-type': 'application/vnd.sendtalk+json; charset=utf-8' }],
  ])('tolerates %s when the body is a JSON object', async (_name, headers) => {
    expect((await send({ headers, body: '{"verificationID":"t1"}' })).status).toBe(200);
  });

  it('tolerates a byte order mark and ordinary nesting', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"a":${'['.repeat(20)}${']'.repeat(20)},"verificationID":"t2"}`)]);
    expect((await send({ headers: good, body })).status).toBe(200);
    expect(seen.at(-1)).toMatchObject({ accepted: true, verificationId: 't2' });
  });

  it('answers 401 "secret key is invalid" without echoing either secret', async () => {
    const res = await send({ headers: { 'secret-key': 'wrong-but-close-123456' }, body: '{}' });
    expect(res.body).toContain('secret key is invalid');
    expect(res.body).not.toContain(SECRET);
    expect(res.body).not.toContain('wrong-but-close');
    expect(JSON.stringify(seen)).not.toContain(SECRET);
    expect(JSON.stringify(seen)).not.toContain('wrong-but-close');
  });

  it('masks the secret wherever it comes, and credentials, in the recorded headers', async () => {
    await send({ headers: { 'x-other-secret': `prefix ${SECRET}`, authorization: 'Bearer abc', 'content-type': 'application/json' }, body: '{}' });
    const last = seen.at(-1)!;
    expect(last.reason).toBe('secret-missing');
    expect(last.headers['x-other-secret']).toBe('[redacted]');
    expect(last.headers.authorization).toBe('[redacted]');
    expect(last.headers['content-type']).toBe('application/json');
  });

  it('keeps serving after refusals, and duplicates are harmless', async () => {
    await send({ headers: good, body: '{' });
    await send({ method: 'GET' });
    for (let i = 0; i < 2; i++) expect((await send({ headers: good, body: '{"verificationID":"dup"}' })).status).toBe(200);
    expect(listener.accepted.map((d) => d.verificationId)).toEqual(['dup', 'dup']);
  });

  it('answers 503 and does not count a delivery it could not record', async () => {
    await listener.close();
    listener = await startListener({
      secret: SECRET,
      beforeAcknowledge: () => {
        throw new Error('disk full');
      },
    });
    const res = await send({ headers: good, body: '{"verificationID":"v1"}' });
    expect(res.status).toBe(503);
    expect(listener.accepted).toHaveLength(0);
  });

  it('waitFor finds past and future deliveries and stops on abort', async () => {
    await send({ headers: good, body: '{"verificationID":"early"}' });
    await expect(listener.waitFor((d) => d.verificationId === 'early')).resolves.toMatchObject({ verificationId: 'early' });
    const later = listener.waitFor((d) => d.verificationId === 'late');
    await send({ headers: good, body: '{"data":{"verificationId":"late"}}' });
    await expect(later).resolves.toMatchObject({ verificationId: 'late' });
    const controller = new AbortController();
    const never = listener.waitFor(() => false, controller.signal);
    controller.abort(new Error('stop'));
    await expect(never).rejects.toThrow('stop');
  });

  it('frees its port on close, and close is safe twice', async () => {
    const port = listener.port;
    await listener.close();
    await listener.close();
    const again = await startListener({ port });
    expect(again.port).toBe(port);
    await again.close();
  });
});

describe('the default body limit', () => {
  it('is 64 KiB: 65,536 bytes pass, 65,537 get 413', async () => {
    const own = await startListener({ secret: SECRET });
    try {
      const body = (size: number): string => `{"p":"${'x'.repeat(size - 8)}"}`;
      const post = (text: string): Promise<number> =>
        new Promise((resolve, reject) => {
          const req = request(own.url, { method: 'POST', headers: good }, (res) => {
            res.resume();
            resolve(res.statusCode!);
          });
          req.on('error', reject);
          req.end(text);
        });
      expect(Buffer.byteLength(body(65_536))).toBe(65_536);
      expect(await post(body(65_536))).toBe(200);
      expect(await post(body(65_537))).toBe(413);
    } finally {
      await own.close();
    }
  });
});
