import { describe, expect, it } from 'vitest';
import { checkRequestFields, DEFAULT_API_URL, endpointUrl, parseApiUrl, parseVerificationRequest, readEnvelope } from '../../src/client/create-verification.js';
import { SendtalkVerifyError } from '../../src/errors.js';

type Seen = { category: string; message: string; hint?: string; code?: string; field?: string; details?: Record<string, unknown> };

/** What `run` throws, as the user and the JSON output see it. */
function refusal(run: () => unknown): Seen {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SendtalkVerifyError);
    const { category, message, hint, code, field, details } = error as SendtalkVerifyError;
    return { category, message, hint, code, field, details };
  }
  throw new Error('nothing was thrown');
}

const rejected = (json: unknown): Seen => refusal(() => readEnvelope(json));
const KEY_HINT = 'Check the API key: SENDTALK_API_KEY or --api-key, from the SendTalk dashboard.';
const PARAMS_HINT = 'Check the request parameters; --debug shows the exchange.';

describe('readEnvelope: success', () => {
  it('returns the data of a status-200 envelope with an empty error', () => {
    expect(readEnvelope({ status: 200, error: { code: '', message: '', field: '' }, data: { id: 'v' } })).toEqual({ id: 'v' });
  });

  it('takes a status written as text, or no status and no error at all, as success', () => {
    expect(readEnvelope({ status: '200', data: 1 })).toBe(1);
    expect(readEnvelope({ data: 'plain' })).toBe('plain');
    expect(readEnvelope({ status: 200, error: null, data: 2 })).toBe(2);
    expect(readEnvelope({ status: 200, error: { code: null, message: 5, field: 7 }, data: 3 })).toBe(3);
  });

  it('refuses what is not an envelope object', () => {
    for (const json of [null, [], 'ok', 200]) {
      expect(rejected(json)).toEqual({
        category: 'api-unavailable',
        message: 'SendTalk API answered JSON that is not an envelope object.',
        hint: 'Check --api-url points at the SendTalk API; --debug shows the answer.',
        code: undefined,
        field: undefined,
        details: undefined,
      });
    }
  });
});

describe('readEnvelope: failures', () => {
  it('a status other than 200 fails even without a message', () => {
    expect(rejected({ status: 400, data: null })).toEqual({
      category: 'api-rejected',
      message: 'SendTalk rejected the request: no message.',
      hint: PARAMS_HINT,
      code: undefined,
      field: undefined,
      details: { status: 400, keyProblem: false },
    });
  });

  it('a message or a code fails even with status 200', () => {
    expect(rejected({ status: 200, error: { message: 'Something is off' } })).toEqual({
      category: 'api-rejected',
      message: 'SendTalk rejected the request: Something is off.',
      hint: PARAMS_HINT,
      code: undefined,
      field: undefined,
      details: { status: 200, keyProblem: false },
    });
    expect(rejected({ status: 200, error: { code: 'E1' } })).toMatchObject({ message: 'SendTalk rejected the request: no message (code E1).', code: 'E1' });
    expect(rejected({ status: 200, error: { code: 0 } })).toMatchObject({ message: 'SendTalk rejected the request: no message (code 0).', code: '0' });
  });

  it('names the code and the field, and points at the flag for the field', () => {
    expect(rejected({ status: 400, error: { code: 40002, message: 'Phone is required', field: 'userPhone' } })).toEqual({
      category: 'api-rejected',
      message: 'SendTalk rejected the request: Phone is required (code 40002, field userPhone).',
      hint: 'Fix --phone and try again.',
      code: '40002',
      field: 'userPhone',
      details: { status: 400, keyProblem: false },
    });
    expect(rejected({ status: 400, error: { message: 'Bad', field: 'phone' } })).toMatchObject({
      message: 'SendTalk rejected the request: Bad (field phone).',
      code: undefined,
      field: 'phone',
    });
  });

  it.each([
    ['user_phone', '--phone'],
    ['Phone', '--phone'],
    ['languageCode', '--language'],
    ['language-code', '--language'],
    ['language', '--language'],
    ['expiryMinutes', '--expiry'],
    ['EXPIRY_MINUTES', '--expiry'],
    ['expiry', '--expiry'],
    ['appURL', 'SENDTALK_APP_URL'],
    ['app_url', 'SENDTALK_APP_URL'],
  ])('maps the field %j to %s', (field, flag) => {
    expect(rejected({ status: 400, error: { code: '40002', message: 'invalid', field } }).hint).toBe(`Fix ${flag} and try again.`);
  });

  it('gives the general hint for a field no flag sets', () => {
    expect(rejected({ status: 400, error: { code: '40002', message: 'invalid', field: 'somethingElse' } }).hint).toBe(PARAMS_HINT);
  });

  it('a status of 500 or more is the API being unavailable, not a rejection', () => {
    expect(rejected({ status: 500, error: { message: 'Internal error' } })).toEqual({
      category: 'api-unavailable',
      message: 'SendTalk rejected the request: Internal error.',
      hint: PARAMS_HINT,
      code: undefined,
      field: undefined,
      details: { status: 500, keyProblem: false },
    });
    expect(rejected({ status: 499, error: { message: 'x' } }).category).toBe('api-rejected');
  });

  it('a status that is not a number is left out of the details', () => {
    expect(rejected({ status: 'bad', error: { message: 'x' } })).toMatchObject({ category: 'api-rejected', details: { status: undefined, keyProblem: false } });
  });

  it('a rate limit says so, with the code when there is one', () => {
    expect(rejected({ status: 429, error: { code: 'TooMany', message: 'slow down' } })).toEqual({
      category: 'api-unavailable',
      message: 'SendTalk API is rate-limiting this key: slow down (code TooMany).',
      hint: 'Wait a minute and try again; creating many verifications in a loop trips the limit.',
      code: 'TooMany',
      field: undefined,
      details: { status: 429 },
    });
    expect(rejected({ status: 429 })).toMatchObject({ message: 'SendTalk API is rate-limiting this key: too many requests.', code: undefined });
  });
});

describe('readEnvelope: API key problems', () => {
  it("knows SendTalk's own codes for a missing and an unknown key", () => {
    expect(rejected({ status: 400, error: { code: '40001', message: 'Missing header', field: '' } })).toEqual({
      category: 'api-rejected',
      message: 'SendTalk rejected the request: Missing header (code 40001).',
      hint: 'No API key reached SendTalk: set SENDTALK_API_KEY or pass --api-key.',
      code: '40001',
      field: undefined,
      details: { status: 400, keyProblem: true },
    });
    expect(rejected({ status: 400, error: { code: 49103, message: 'Unknown' } })).toMatchObject({
      hint: 'SendTalk does not know this API key: copy it again from the SendTalk dashboard into SENDTALK_API_KEY (or --api-key).',
      details: { status: 400, keyProblem: true },
    });
  });

  it.each([
    [{ code: 'HeaderValidationFailed', message: 'invalid', field: 'userPhone' }, 400],
    [{ code: 'E', message: 'x', field: 'API-Key' }, 400],
    [{ code: 'E', message: 'bad header', field: '' }, 400],
    [{ code: 'E', message: 'Invalid API key', field: '' }, 400],
    [{ code: 'E', message: 'apikey is wrong', field: '' }, 400],
    [{ code: 'E', message: 'api-key missing', field: '' }, 400],
    [{ code: 'E', message: 'denied', field: 'phone' }, 401],
    [{ code: 'E', message: 'denied', field: 'phone' }, 403],
  ])('takes %j with status %d for a key problem', (error, status) => {
    expect(rejected({ status, error })).toMatchObject({ hint: KEY_HINT, details: { status, keyProblem: true } });
  });

  it('a code that is only the name of an object property is no known key code', () => {
    expect(rejected({ status: 401, error: { code: 'constructor', message: 'x' } }).hint).toBe(KEY_HINT);
    expect(rejected({ status: 400, error: { code: 'toString', message: 'x', field: 'phone' } })).toMatchObject({
      hint: 'Fix --phone and try again.',
      details: { status: 400, keyProblem: false },
    });
  });

  it('a parameter error whose words only resemble the key is not a key problem', () => {
    expect(rejected({ status: 402, error: { code: 'E', message: 'api ke', field: 'head' } })).toMatchObject({
      hint: PARAMS_HINT,
      details: { status: 402, keyProblem: false },
    });
  });
});

describe('checkRequestFields', () => {
  it('defaults the language to en and accepts en and id', () => {
    expect(checkRequestFields({})).toBe('en');
    expect(checkRequestFields({ language: 'en' })).toBe('en');
    expect(checkRequestFields({ language: 'id', expiryMinutes: 1 })).toBe('id');
  });

  it('refuses another language', () => {
    expect(refusal(() => checkRequestFields({ language: 'fr' as 'en' }))).toEqual({
      category: 'usage',
      message: 'Language "fr" is not supported.',
      hint: 'Use --language en or --language id.',
      code: undefined,
      field: 'languageCode',
      details: undefined,
    });
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses an expiry of %d minutes', (expiryMinutes) => {
    expect(refusal(() => checkRequestFields({ expiryMinutes }))).toEqual({
      category: 'usage',
      message: `Expiry "${expiryMinutes}" must be a whole number of minutes above 0.`,
      hint: 'Pass e.g. --expiry 10.',
      code: undefined,
      field: 'expiryMinutes',
      details: undefined,
    });
  });
});

describe('parseVerificationRequest', () => {
  it('checks the key, then the phone, then the fields, then the API URL', () => {
    expect(refusal(() => parseVerificationRequest({ apiKey: '', phone: 'x', language: 'fr' as 'en', apiUrl: 'ftp://x' })).message).toBe('No SendTalk API key.');
    expect(refusal(() => parseVerificationRequest({ apiKey: 'k', phone: 'x', language: 'fr' as 'en', apiUrl: 'ftp://x' })).message).toMatch(
      /^"x" is not a phone number/,
    );
    expect(refusal(() => parseVerificationRequest({ apiKey: 'k', phone: '6281234567890', language: 'fr' as 'en', apiUrl: 'ftp://x' })).message).toBe(
      'Language "fr" is not supported.',
    );
    expect(refusal(() => parseVerificationRequest({ apiKey: 'k', phone: '6281234567890', apiUrl: 'ftp://x' })).message).toBe(
      'API URL "ftp://x" is not an http(s) URL.',
    );
  });

  it('returns the parsed values and keeps the other options', () => {
    const request = parseVerificationRequest({ apiKey: 'k', phone: '+62 812-3456-7890', expiryMinutes: 5, retries: 1 });
    expect(request).toEqual({
      apiKey: 'k',
      expiryMinutes: 5,
      retries: 1,
      language: 'en',
      apiUrl: new URL(DEFAULT_API_URL),
      phone: { digits: '6281234567890', e164: '+6281234567890', international: '+62 812 3456 7890', country: 'ID' },
    });
    expect(parseVerificationRequest({ apiKey: 'k', phone: '6281234567890', apiUrl: 'http://127.0.0.1:9/sendtalk' }).apiUrl.href).toBe(
      'http://127.0.0.1:9/sendtalk',
    );
  });
});

describe('API URL', () => {
  it('refuses a URL that is not http(s), saying how to write it', () => {
    expect(refusal(() => parseApiUrl('localhost:3000'))).toEqual({
      category: 'usage',
      message: 'API URL "localhost:3000" is not an http(s) URL.',
      hint: 'Pass --api-url (or SENDTALK_API_URL) as http(s)://host[:port].',
      code: undefined,
      field: undefined,
      details: undefined,
    });
  });

  it('puts the endpoint under the base, keeping its path prefix and dropping trailing slashes', () => {
    expect(endpointUrl(new URL('https://api.example'), '/v1/create')).toBe('https://api.example/v1/create');
    expect(endpointUrl(new URL('https://api.example/'), '/v1/create')).toBe('https://api.example/v1/create');
    expect(endpointUrl(new URL('http://h:8080/proxy/sendtalk//?q=1'), '/v1/create')).toBe('http://h:8080/proxy/sendtalk/v1/create');
  });
});
