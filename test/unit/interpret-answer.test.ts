import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CREATE_PATH, createVerification, postToCreateEndpoint } from '../../src/client/create-verification.js';
import { SendtalkVerifyError } from '../../src/errors.js';
import { FakeApi } from '../helpers/fake-api.js';

const KEY = 'live_key_0123456789abcdef';
let api: FakeApi;

beforeEach(async () => {
  api = await new FakeApi().start();
});
afterEach(async () => {
  await api.stop();
});

type Seen = { category: string; message: string; hint?: string; details?: Record<string, unknown> };

/** What posting to the fake API throws, as the user and the JSON output see it. */
async function refusal(retries = 0): Promise<Seen> {
  const error = await postToCreateEndpoint({ userPhone: '62' }, { apiKey: KEY, apiUrl: api.url, retries }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SendtalkVerifyError);
  const { category, message, hint, details } = error as SendtalkVerifyError;
  return { category, message, hint, details };
}

const endpoint = (): string => `${api.url}${CREATE_PATH}`;
const TROUBLE = 'SendTalk may be having trouble: try again in a minute; --debug shows the exchange.';
const DEBUG = 'Run with --debug to see the exchange.';
const KEY_HINT = 'Check the API key (SENDTALK_API_KEY or --api-key).';
const WEB_PAGE = 'A web page answered instead of the API (a proxy, captive portal or wrong address): check --api-url (or SENDTALK_API_URL) and your network.';

describe('postToCreateEndpoint', () => {
  it('returns the JSON answer unread, from the create path under the base URL', async () => {
    const answer = { status: 400, error: { code: 'E', message: 'Phone is required', field: 'userPhone' }, data: null };
    api.answer({ status: 400, body: answer });
    expect(await postToCreateEndpoint({ userPhone: '' }, { apiKey: KEY, apiUrl: api.url, retries: 0 })).toEqual(answer);
    expect(api.requests.map((r) => [r.url, JSON.parse(r.body)])).toEqual([[CREATE_PATH, { userPhone: '' }]]);
  });

  it('takes a base URL already parsed, keeping its path prefix', async () => {
    api.answer({ body: { status: 200, data: { ok: 1 } } });
    expect(await postToCreateEndpoint({}, { apiKey: KEY, apiUrl: new URL(`${api.url}/prefix/`), retries: 0 })).toEqual({ status: 200, data: { ok: 1 } });
    expect(api.requests[0]!.url).toBe(`/prefix${CREATE_PATH}`);
  });

  it('refuses a base URL that is not http(s) before any request', async () => {
    const error = await postToCreateEndpoint({}, { apiKey: KEY, apiUrl: 'ftp://x', retries: 0 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as SendtalkVerifyError).message).toBe('API URL "ftp://x" is not an http(s) URL.');
    expect(api.requests).toHaveLength(0);
  });

  it('returns a JSON answer with a status just under 300', async () => {
    api.answer({ status: 299, body: { any: 'thing' } });
    expect(await postToCreateEndpoint({}, { apiKey: KEY, apiUrl: api.url, retries: 0 })).toEqual({ any: 'thing' });
  });

  it('returns a 4xx JSON answer that carries an error message, for the envelope to read', async () => {
    api.answer({ status: 401, body: { error: { message: 'Invalid key' } } });
    expect(await postToCreateEndpoint({}, { apiKey: KEY, apiUrl: api.url, retries: 0 })).toEqual({ error: { message: 'Invalid key' } });
  });
});

describe('rate limiting (HTTP 429)', () => {
  it('without Retry-After, says to wait a minute', async () => {
    api.answer({ status: 429, body: { status: 429 } });
    expect(await refusal()).toEqual({
      category: 'api-unavailable',
      message: 'SendTalk API is rate-limiting this key: HTTP 429.',
      hint: 'Wait and try again in a minute; creating many verifications in a loop trips the limit.',
      details: { httpStatus: 429, attempts: 1, retryAfterMs: undefined },
    });
  });

  it('with Retry-After, says how long, and how many attempts were made', async () => {
    api.answer({ status: 429, headers: { 'retry-after': '0' }, body: 'slow' }, { status: 429, headers: { 'retry-after': '0' }, body: 'slow' });
    expect(await refusal(1)).toEqual({
      category: 'api-unavailable',
      message: 'SendTalk API is rate-limiting this key: HTTP 429, Retry-After 0 s (2 attempts).',
      hint: 'Wait and try again in 0 s; creating many verifications in a loop trips the limit.',
      details: { httpStatus: 429, attempts: 2, retryAfterMs: 0 },
    });
  });

  it('rounds a Retry-After date up to whole seconds', async () => {
    const second = Math.floor(Date.now() / 1000) * 1000;
    // The clock reads half a second past a whole second; the date asks for 29.5 s from then.
    const clock = vi.spyOn(Date, 'now').mockReturnValue(second + 500);
    try {
      api.answer({ status: 429, headers: { 'retry-after': new Date(second + 30_000).toUTCString() }, body: {} });
      const seen = await refusal();
      expect(seen.message).toBe('SendTalk API is rate-limiting this key: HTTP 429, Retry-After 30 s.');
      expect(seen.details).toEqual({ httpStatus: 429, attempts: 1, retryAfterMs: 29_500 });
    } finally {
      clock.mockRestore();
    }
  });
});

describe('answers that are not JSON', () => {
  it('names an HTML page and its title', async () => {
    api.answer({ status: 200, body: '  \n<html><head><TITLE>  Sign in to the Wi-Fi  </TITLE></head></html>' });
    expect(await refusal()).toEqual({
      category: 'api-unavailable',
      message: 'SendTalk API answered HTTP 200 with an HTML page ("Sign in to the Wi-Fi") instead of JSON.',
      hint: WEB_PAGE,
      details: { httpStatus: 200, attempts: 1 },
    });
  });

  it('leaves out a title over 80 characters, or an empty one', async () => {
    api.answer({ status: 200, body: `<html><title>${'t'.repeat(81)}</title></html>` }, { status: 200, body: '<html><title>   </title></html>' });
    expect((await refusal()).message).toBe('SendTalk API answered HTTP 200 with an HTML page instead of JSON.');
    expect((await refusal()).message).toBe('SendTalk API answered HTTP 200 with an HTML page instead of JSON.');
  });

  it('names an empty body and a body that is not JSON', async () => {
    api.answer({ status: 200, body: '' }, { status: 200, body: ' \n ' }, { status: 200, body: 'OK <then>' });
    expect(await refusal()).toEqual({
      category: 'api-unavailable',
      message: 'SendTalk API answered HTTP 200 with an empty body instead of JSON.',
      hint: DEBUG,
      details: { httpStatus: 200, attempts: 1 },
    });
    expect((await refusal()).message).toBe('SendTalk API answered HTTP 200 with an empty body instead of JSON.');
    expect(await refusal()).toEqual({
      category: 'api-unavailable',
      message: 'SendTalk API answered HTTP 200 with a body that is not JSON instead of JSON.',
      hint: DEBUG,
      details: { httpStatus: 200, attempts: 1 },
    });
  });

  it.each([
    [399, '<html></html>', 'api-unavailable', WEB_PAGE],
    [400, '<html></html>', 'api-rejected', DEBUG],
    [401, 'no', 'api-rejected', KEY_HINT],
    [403, 'no', 'api-rejected', KEY_HINT],
    [499, 'no', 'api-rejected', DEBUG],
    [500, 'no', 'api-unavailable', TROUBLE],
  ])('HTTP %d with %j is %s, hint %j', async (status, body, category, hint) => {
    api.answer({ status, body });
    expect(await refusal()).toMatchObject({ category, hint });
  });

  it('a 404 names the address that nothing answers at', async () => {
    api.answer({ status: 404, body: '<html><title>Not Found</title></html>' });
    expect(await refusal()).toEqual({
      category: 'api-rejected',
      message: 'SendTalk API answered HTTP 404 with an HTML page ("Not Found") instead of JSON.',
      hint: `Nothing answers at ${endpoint()}: check --api-url (or SENDTALK_API_URL).`,
      details: { httpStatus: 404, attempts: 1 },
    });
  });

  it('counts the attempts after retries', async () => {
    api.answer({ status: 503, headers: { 'retry-after': '0' }, body: 'busy' }, { status: 503, headers: { 'retry-after': '0' }, body: 'busy' });
    expect(await refusal(1)).toEqual({
      category: 'api-unavailable',
      message: 'SendTalk API answered HTTP 503 with a body that is not JSON instead of JSON (2 attempts).',
      hint: TROUBLE,
      details: { httpStatus: 503, attempts: 2 },
    });
  });
});

describe('redirects', () => {
  it('is not a result, and says where it points', async () => {
    api.answer({ status: 302, headers: { location: 'https://elsewhere.example/api' }, body: {} });
    expect(await refusal()).toEqual({
      category: 'api-unavailable',
      message: 'SendTalk API answered HTTP 302, a redirect to https://elsewhere.example/api, not a result.',
      hint: 'Point --api-url (or SENDTALK_API_URL) at the address it redirects to, if you trust it (https:// instead of http://?).',
      details: { httpStatus: 302, attempts: 1 },
    });
  });

  it('quotes at most 200 characters of the location, and none when there is none', async () => {
    const location = `https://e.example/${'p'.repeat(300)}`;
    api.answer({ status: 301, headers: { location }, body: {} }, { status: 300, body: {} }, { status: 399, body: {} });
    expect((await refusal()).message).toBe(`SendTalk API answered HTTP 301, a redirect to ${location.slice(0, 200)}, not a result.`);
    expect((await refusal()).message).toBe('SendTalk API answered HTTP 300, a redirect, not a result.');
    expect((await refusal()).message).toBe('SendTalk API answered HTTP 399, a redirect, not a result.');
  });
});

describe('HTTP errors with JSON that is not an error envelope', () => {
  it.each([
    [400, {}, 'api-rejected', DEBUG],
    [400, { error: { message: '' } }, 'api-rejected', DEBUG],
    [400, { error: 'Bad request' }, 'api-rejected', DEBUG],
    [400, [{ error: { message: 'x' } }], 'api-rejected', DEBUG],
    [401, { message: 'Unauthorized' }, 'api-rejected', KEY_HINT],
    [403, {}, 'api-rejected', KEY_HINT],
    [499, {}, 'api-rejected', DEBUG],
    [500, { oops: true }, 'api-unavailable', TROUBLE],
  ])('HTTP %d with %j', async (status, body, category, hint) => {
    api.answer({ status, body });
    expect(await refusal()).toEqual({ category, message: `SendTalk API answered HTTP ${status}.`, hint, details: { httpStatus: status, attempts: 1 } });
  });

  it('a 404 names the address', async () => {
    api.answer({ status: 404, body: { message: 'no route' } });
    expect((await refusal()).hint).toBe(`Nothing answers at ${endpoint()}: check --api-url (or SENDTALK_API_URL).`);
  });
});

describe('createVerification body', () => {
  it('leaves out an empty app URL, and sends the number without its trunk zero', async () => {
    api.answer({ body: { status: 200, data: { id: 'v1', waLink: 'https://wa.me/1' } } });
    const verification = await createVerification({ apiKey: KEY, apiUrl: api.url, phone: '+62 (0)812-3456-7890', appUrl: '', retries: 0 });
    expect(verification.id).toBe('v1');
    expect(JSON.parse(api.requests[0]!.body)).toEqual({ userPhone: '6281234567890', languageCode: 'en' });
  });
});
