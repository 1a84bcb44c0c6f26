import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SendtalkVerifyError } from '../../src/errors.js';
import { MAX_API_BODY_BYTES, postJson, retryAfterMs, type PostJsonOptions } from '../../src/http/client.js';
import { FakeApi } from '../helpers/fake-api.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

const KEY = 'live_key_0123456789abcdef';
const MASKED = '••••cdef';
const OFFLINE = 'Check your network and --api-url (or SENDTALK_API_URL); --sandbox works offline.';
const MAYBE_CREATED =
  'SendTalk may have created the verification anyway (it was not sent twice, to avoid a duplicate); try again in a minute, --debug shows the exchange.';

let api: FakeApi;
let server: Server | undefined;
beforeEach(async () => {
  api = await new FakeApi().start();
});
afterEach(async () => {
  await api.stop();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A one-off server for answers FakeApi cannot give; its origin. */
async function serve(handler: RequestListener): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** postJson with its trace lines. */
async function post(
  url: string,
  options: Partial<PostJsonOptions> = {},
): Promise<{ answer?: Awaited<ReturnType<typeof postJson>>; error?: SendtalkVerifyError; trace: string[] }> {
  const trace: string[] = [];
  try {
    const answer = await postJson(url, { userPhone: '62' }, { apiKey: KEY, onTrace: (line) => trace.push(line), ...options });
    return { answer, trace };
  } catch (error) {
    expect(error).toBeInstanceOf(SendtalkVerifyError);
    return { error: error as SendtalkVerifyError, trace };
  }
}

const seen = (error: SendtalkVerifyError | undefined) =>
  error && {
    category: error.category,
    message: error.message,
    hint: error.hint,
    code: error.code,
    details: error.details,
  };

describe('postJson: the request and the answer', () => {
  it('posts the body as JSON with the key and the JSON headers, to the path and query of the URL', async () => {
    api.answer({ status: 201, headers: { 'x-extra': 'yes' }, body: { ok: 1 } });
    const { answer } = await post(`${api.url}/api/create?v=2`, { retries: 0 });
    expect(answer).toMatchObject({ status: 201, text: '{"ok":1}', attempts: 1 });
    expect(answer!.headers['x-extra']).toBe('yes');
    const [request] = api.requests;
    expect(request!.url).toBe('/api/create?v=2');
    expect(request!.method).toBe('POST');
    expect(request!.body).toBe('{"userPhone":"62"}');
    expect(request!.headers).toMatchObject({ 'api-key': KEY, 'content-type': 'application/json', accept: 'application/json' });
    expect(request!.headers['user-agent']).toMatch(/^sendtalk-verify\/\d+\.\d+\.\d+/);
  });

  it('traces the request with the key masked, and the start of the answer', async () => {
    const text = `{"pad":"${'x'.repeat(600)}"}`;
    api.answer({ status: 200, body: text });
    const { trace } = await post(`${api.url}/c`, { retries: 0 });
    expect(trace).toHaveLength(2);
    expect(trace[0]).toBe(`→ POST ${api.url}/c (API-Key: ${MASKED}) {"userPhone":"62"}`);
    expect(trace[1]).toMatch(/^← HTTP 200 in \d+ ms: /);
    expect(trace[1]!.replace(/^← HTTP 200 in \d+ ms: /, '')).toBe(text.slice(0, 500));
    expect(trace.join('\n')).not.toContain(KEY);
  });

  it('returns an answer that is not to be retried at once, whatever its status', async () => {
    for (const status of [400, 404, 500, 501]) {
      api.answer({ status, headers: { 'retry-after': '0' }, body: { status } });
      const { answer } = await post(api.url);
      expect(answer).toMatchObject({ status, attempts: 1 });
    }
    expect(api.requests).toHaveLength(4);
  });
});

describe('postJson: retries of an answer', () => {
  it.each([429, 502, 503, 504])('retries HTTP %d after its Retry-After, and traces it', async (status) => {
    api.answer({ status, headers: { 'retry-after': '0' }, body: 'busy' }, { status: 200, body: { ok: 1 } });
    const { answer, trace } = await post(api.url);
    expect(answer).toMatchObject({ status: 200, attempts: 2 });
    expect(api.requests).toHaveLength(2);
    expect(trace).toHaveLength(5);
    expect(trace[2]).toBe(`↻ HTTP ${status}: retrying in 0 ms (Retry-After)`);
    expect(trace[3]).toBe(`→ POST ${api.url} (API-Key: ${MASKED}) {"userPhone":"62"} [attempt 2 of 3]`);
  });

  it('makes 3 attempts by default, then returns the last answer', async () => {
    const busy = { status: 503, headers: { 'retry-after': '0' }, body: 'busy' };
    api.answer(busy, busy, busy, busy);
    const { answer, trace } = await post(api.url);
    expect(answer).toMatchObject({ status: 503, text: 'busy', attempts: 3 });
    expect(api.requests).toHaveLength(3);
    expect(trace.filter((line) => line.startsWith('→'))[2]).toMatch(/\[attempt 3 of 3\]$/);
  });

  it('makes one attempt when retries is 0 or below', async () => {
    const busy = { status: 503, headers: { 'retry-after': '0' }, body: 'busy' };
    api.answer(busy, busy, busy);
    expect((await post(api.url, { retries: 0 })).answer).toMatchObject({ status: 503, attempts: 1 });
    expect((await post(api.url, { retries: -3 })).answer).toMatchObject({ status: 503, attempts: 1 });
    expect(api.requests).toHaveLength(2);
  });

  it('without Retry-After, backs off 150–300 ms, then 300–600 ms, at random within each', async () => {
    // Math.random() at 0.5 puts each wait in the middle of its range: 225 ms, then 450 ms.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      api.answer({ status: 502, body: 'bad gateway' }, { status: 502, body: 'bad gateway' }, { status: 200, body: {} });
      const { answer, trace } = await post(api.url);
      expect(answer).toMatchObject({ status: 200, attempts: 3 });
      expect(trace.filter((line) => line.startsWith('↻'))).toEqual(['↻ HTTP 502: retrying in 225 ms', '↻ HTTP 502: retrying in 450 ms']);
    } finally {
      random.mockRestore();
    }
  });

  it('keeps the random wait within its range', async () => {
    const random = vi.spyOn(Math, 'random').mockReturnValueOnce(0).mockReturnValueOnce(0.999);
    try {
      api.answer({ status: 504, body: '' }, { status: 504, body: '' }, { status: 200, body: {} });
      const { trace } = await post(api.url);
      expect(trace.filter((line) => line.startsWith('↻'))).toEqual(['↻ HTTP 504: retrying in 150 ms', '↻ HTTP 504: retrying in 600 ms']);
    } finally {
      random.mockRestore();
    }
  });

  it('does not retry when Retry-After asks for more than 10 s', async () => {
    api.answer({ status: 503, headers: { 'retry-after': '11' }, body: 'later' }, { status: 200, body: {} });
    const { answer, trace } = await post(api.url);
    expect(answer).toMatchObject({ status: 503, attempts: 1 });
    expect(trace.filter((line) => line.startsWith('↻'))).toEqual([]);
  });

  it('does not retry when the wait would end past the bound of the whole call', async () => {
    api.answer({ status: 503, headers: { 'retry-after': '1' }, body: 'later' }, { status: 200, body: {} });
    const { answer } = await post(api.url, { timeoutMs: 900 });
    expect(answer).toMatchObject({ status: 503, attempts: 1 });
    expect(api.requests).toHaveLength(1);
  });

  it('stops waiting to retry when cancelled', async () => {
    api.answer({ status: 503, headers: { 'retry-after': '5' }, body: 'later' });
    const controller = new AbortController();
    const pending = post(api.url, { signal: controller.signal });
    await until(() => api.requests.length === 1, 'the first attempt');
    controller.abort();
    const { error } = await pending;
    expect(seen(error)).toEqual({
      category: 'interrupted',
      message: 'Interrupted while waiting to retry the SendTalk API.',
      hint: undefined,
      code: undefined,
      details: undefined,
    });
    expect(api.requests).toHaveLength(1);
  });

  it('passes on the reason it was cancelled with, when it is one of ours', async () => {
    api.answer({ status: 503, headers: { 'retry-after': '5' }, body: 'later' });
    const controller = new AbortController();
    const pending = post(api.url, { signal: controller.signal });
    await until(() => api.requests.length === 1, 'the first attempt');
    const reason = new SendtalkVerifyError('interrupted', 'Stopped by SIGTERM.');
    controller.abort(reason);
    expect((await pending).error).toBe(reason);
  });
});

describe('postJson: connection failures', () => {
  it('retries a refused connection, nothing having been sent, then says how many attempts it made', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { error, trace } = await post(url);
    expect(seen(error)).toEqual({
      category: 'api-unavailable',
      message: `127.0.0.1:${url.split(':')[2]} refused the connection (3 attempts).`,
      hint: `Is the API running there? ${OFFLINE}`,
      code: 'ECONNREFUSED',
      details: { attempts: 3 },
    });
    const retries = trace.filter((line) => line.startsWith('↻'));
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatch(/^↻ ECONNREFUSED: nothing was sent, retrying in \d+ ms$/);
    expect(Number(/in (\d+) ms/.exec(retries[0]!)![1])).toBeGreaterThanOrEqual(150);
    expect(Number(/in (\d+) ms/.exec(retries[0]!)![1])).toBeLessThanOrEqual(300);
    expect(trace[1]).toMatch(/^← 127\.0\.0\.1:\d+ refused the connection\. after \d+ ms$/);
  });

  it('makes one attempt at a refused connection when no retry fits before the bound', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { error, trace } = await post(url, { timeoutMs: 100 });
    expect(error!.message).toBe(`127.0.0.1:${url.split(':')[2]} refused the connection.`);
    expect(error!.details).toEqual({ attempts: 1 });
    expect(trace.filter((line) => line.startsWith('→'))).toHaveLength(1);
  });

  it('makes one attempt at a refused connection with retries 0', async () => {
    const { error } = await post(`http://127.0.0.1:${await freePort()}`, { retries: 0 });
    expect(error!.details).toEqual({ attempts: 1 });
  });

  it('never sends again a request the server may have received', async () => {
    api.answer({ destroy: true }, { status: 200, body: {} });
    const { error } = await post(api.url);
    expect(seen(error)).toEqual({
      category: 'api-unavailable',
      message: `${new URL(api.url).host} closed the connection before answering.`,
      hint: MAYBE_CREATED,
      code: 'ECONNRESET',
      details: { attempts: 1 },
    });
    expect(api.requests).toHaveLength(1);
  });

  it('says when the answer was cut in the middle', async () => {
    const origin = await serve((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"a":', () => res.socket?.destroy());
    });
    const { error } = await post(origin);
    expect(seen(error)).toEqual({
      category: 'api-unavailable',
      message: `${new URL(origin).host} cut the connection in the middle of its answer.`,
      hint: MAYBE_CREATED,
      code: 'ECONNRESET',
      details: { attempts: 1 },
    });
  });

  it('says a connection reset before the answer was closed, and does not send again', async () => {
    let requests = 0;
    const origin = await serve((req) => {
      requests++;
      req.socket.resetAndDestroy();
    });
    const { error } = await post(origin);
    expect(seen(error)).toMatchObject({
      category: 'api-unavailable',
      message: `${new URL(origin).host} closed the connection before answering.`,
      hint: MAYBE_CREATED,
      details: { attempts: 1 },
    });
    expect(error!.code).toMatch(/^(ECONNRESET|EPIPE)$/);
    expect(requests).toBe(1);
  });

  it('says a name that does not resolve could not be resolved', async () => {
    const { error } = await post('http://sendtalk-verify-test.invalid/create', { retries: 0 });
    expect(seen(error)).toMatchObject({
      category: 'api-unavailable',
      message: 'Could not resolve sendtalk-verify-test.invalid.',
      hint: OFFLINE,
      details: { attempts: 1 },
    });
    expect(error!.code).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/);
  });

  it('names any other failure as it came', async () => {
    const { error } = await post('not a url');
    expect(seen(error)).toEqual({
      category: 'api-unavailable',
      message: 'Could not reach not a url: Invalid URL.',
      hint: OFFLINE,
      code: 'ERR_INVALID_URL',
      details: { attempts: 1 },
    });
  });

  it('is interrupted, not failed, when cancelled while waiting for the answer', async () => {
    api.answer({ hang: true });
    const controller = new AbortController();
    const pending = post(api.url, { signal: controller.signal });
    await until(() => api.requests.length === 1, 'the request');
    controller.abort();
    expect(seen((await pending).error)).toEqual({
      category: 'interrupted',
      message: 'Interrupted while calling the SendTalk API.',
      hint: undefined,
      code: undefined,
      details: undefined,
    });
  });

  it('passes on the reason it was cancelled with while waiting for the answer', async () => {
    api.answer({ hang: true });
    const controller = new AbortController();
    const pending = post(api.url, { signal: controller.signal });
    await until(() => api.requests.length === 1, 'the request');
    const reason = new SendtalkVerifyError('interrupted', 'Stopped.');
    controller.abort(reason);
    expect((await pending).error).toBe(reason);
  });
});

describe('postJson: time bounds', () => {
  it('bounds the wait for the answer, and does not send again', async () => {
    api.answer({ hang: true }, { status: 200, body: {} });
    const { error } = await post(api.url, { responseTimeoutMs: 300 });
    expect(seen(error)).toMatchObject({
      category: 'api-unavailable',
      message: `${new URL(api.url).host} did not answer within 0.3 s.`,
      hint: MAYBE_CREATED,
      details: { attempts: 1 },
    });
    expect(api.requests).toHaveLength(1);
  });

  it('bounds an answer that trickles in', async () => {
    const origin = await serve((req, res) => {
      req.resume();
      res.writeHead(200);
      const drip = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(drip));
    });
    const { error } = await post(origin, { connectTimeoutMs: 200, responseTimeoutMs: 400 });
    expect(seen(error)).toMatchObject({
      category: 'api-unavailable',
      message: `${new URL(origin).host} started answering but did not finish within 0.4 s.`,
      hint: MAYBE_CREATED,
    });
  });

  it('bounds a pause in the middle of the answer', async () => {
    const origin = await serve((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"a":');
    });
    const { error } = await post(origin, { responseTimeoutMs: 300 });
    expect(seen(error)).toEqual({
      category: 'api-unavailable',
      message: `${new URL(origin).host} started answering but did not finish within 0.3 s.`,
      hint: MAYBE_CREATED,
      code: 'BODY_TIMEOUT',
      details: { attempts: 1 },
    });
  });

  it('bounds the whole call, and says what it waited for', async () => {
    api.answer({ hang: true });
    const { error } = await post(api.url, { timeoutMs: 300 });
    expect(seen(error)).toMatchObject({
      category: 'api-unavailable',
      message: `${new URL(api.url).host} did not answer within 300 ms, the time allowed for the whole API call.`,
      hint: `${OFFLINE} SENDTALK_API_TIMEOUT allows longer.`,
      details: { attempts: 1 },
    });
  });

  it('bounds the whole call while the answer trickles in', async () => {
    const origin = await serve((req, res) => {
      req.resume();
      res.writeHead(200);
      const drip = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(drip));
    });
    const { error } = await post(origin, { timeoutMs: 400 });
    expect(seen(error)).toMatchObject({
      category: 'api-unavailable',
      message: `${new URL(origin).host} did not finish its answer within 400 ms, the time allowed for the whole API call.`,
      hint: `${MAYBE_CREATED} SENDTALK_API_TIMEOUT allows longer.`,
    });
  });
});

describe('postJson: the size of the answer', () => {
  const tooLarge = (url: string) => ({
    category: 'api-unavailable',
    message: `${new URL(url).host} answered with a body over 1024 KiB (a create answer is a few KB); stopped reading it.`,
    hint: 'Check --api-url (or SENDTALK_API_URL) points at the SendTalk API; --debug shows the exchange.',
    code: undefined,
    details: undefined,
  });

  it('reads a body of exactly the bound, declared or streamed', async () => {
    const body = 'x'.repeat(MAX_API_BODY_BYTES);
    api.answer({ status: 200, body });
    expect((await post(api.url)).answer!.text).toHaveLength(MAX_API_BODY_BYTES);
    const origin = await serve((req, res) => {
      req.resume();
      res.writeHead(200);
      res.write(body.slice(0, 1000));
      res.end(body.slice(1000));
    });
    expect((await post(origin)).answer!.text).toHaveLength(MAX_API_BODY_BYTES);
  });

  it('refuses a declared body over the bound without reading it, and does not retry', async () => {
    api.answer({ status: 503, body: '{}', headers: { 'content-length': String(MAX_API_BODY_BYTES + 1) } });
    expect(seen((await post(api.url)).error)).toEqual(tooLarge(api.url));
    expect(api.requests).toHaveLength(1);
  });

  it('stops reading a streamed body one byte over the bound', async () => {
    const origin = await serve((req, res) => {
      req.resume();
      res.writeHead(200);
      res.write('x'.repeat(1000));
      res.end('x'.repeat(MAX_API_BODY_BYTES - 999));
    });
    expect(seen((await post(origin)).error)).toEqual(tooLarge(origin));
  });

  it('stops reading an endless body', async () => {
    const endless = await new FakeApi({ endless: true }).start();
    try {
      expect(seen((await post(endless.url)).error)).toEqual(tooLarge(endless.url));
      expect(endless.streamed).toBeLessThan(32 * 1024 * 1024);
    } finally {
      await endless.stop();
    }
  });
});

describe('retryAfterMs', () => {
  it('reads whole seconds, spaces around them allowed', () => {
    expect(retryAfterMs(' 3 ')).toBe(3000);
    expect(retryAfterMs(['2', '9'])).toBe(2000);
  });

  it('has no wait for an empty header', () => {
    expect(retryAfterMs('')).toBeUndefined();
    expect(retryAfterMs('  ')).toBeUndefined();
    expect(retryAfterMs([])).toBeUndefined();
  });

  it('reads an HTTP date from the time given', () => {
    expect(retryAfterMs('Thu, 01 Jan 1970 00:00:10 GMT', 2500)).toBe(7500);
    // A date that starts and ends with digits is still a date, not a number of seconds.
    expect(retryAfterMs('1970-01-01T00:00:10.000+00:00', 2500)).toBe(7500);
  });
});
