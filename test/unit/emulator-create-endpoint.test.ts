import { describe, expect, it } from 'vitest';
import { CREATE_PATH, createVerification } from '../../src/client/create-verification.js';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/emulator.js';
import { emulatorsClosedAfterEach } from '../helpers/cleanup.js';

const KEY = 'st_test_key_for_emulator_1234';
let emulator: EmulatorHandle | undefined;
const startEmulatorForTest = emulatorsClosedAfterEach();
async function start(options: Parameters<typeof startEmulator>[0] = {}): Promise<EmulatorHandle> {
  emulator = await startEmulatorForTest(options);
  return emulator;
}

async function post(
  body: string,
  headers: Record<string, string> = { 'API-Key': KEY, 'Content-Type': 'application/json' },
  method = 'POST',
): Promise<{ http: number; json: any }> {
  const res = await fetch(`${emulator!.url}${CREATE_PATH}`, { method, headers, body: method === 'GET' ? undefined : body });
  return { http: res.status, json: await res.json() };
}

describe('the create endpoint', () => {
  it("answers SendTalk's client example exactly as sent, with an empty appURL", async () => {
    await start({ apiKey: KEY });
    const { http, json } = await post('{"userPhone": "6281234567890", "languageCode": "en", "expiryMinutes": 10, "appURL": ""}');
    expect(http).toBe(200);
    expect(json.status).toBe(200);
    expect(json.error).toEqual({ code: '', message: '', field: '' });
    expect(json.data.verificationID).toMatch(/^[0-9a-f-]{36}$/);
    expect(json.data.waLink).toMatch(/^https:\/\/wa\.me\/\d+\?text=/);
    expect(json.data.userPhone).toBe('6281234567890');
    const v = emulator!.verifications.get(json.data.verificationID)!;
    expect(v).toMatchObject({ phone: '6281234567890', languageCode: 'en', status: 'pending', appURL: undefined });
    expect(Date.parse(v.expiresAt) - Date.parse(v.createdAt)).toBe(10 * 60_000);
    expect(decodeURIComponent(json.data.waLink)).toContain(v.code);
  });

  it('is what the client library expects', async () => {
    await start({ apiKey: KEY });
    const v = await createVerification({ apiKey: KEY, apiUrl: emulator!.url, phone: '+62 812-3456-7890', language: 'id', appUrl: 'https://app.example/back' });
    expect(v.phone).toBe('6281234567890');
    expect(v.link).toMatch(/^https:\/\/wa\.me\//);
    expect(emulator!.verifications.get(v.id)).toMatchObject({ languageCode: 'id', appURL: 'https://app.example/back' });
  });

  it('accepts any non-empty key when none is configured', async () => {
    await start();
    const { json } = await post('{"userPhone":"6281234567890"}', { 'API-Key': 'whatever' });
    expect(json.status).toBe(200);
  });

  const refusals: Array<[string, string, Record<string, string> | undefined, { status: number; code: string; field: string; message?: string }]> = [
    [
      'a missing API-Key',
      '{"userPhone":"6281234567890"}',
      { 'Content-Type': 'application/json' },
      { status: 400, code: '40001', field: '', message: 'Request headers are required (API-Key)' },
    ],
    [
      'another API-Key than the configured one',
      '{"userPhone":"6281234567890"}',
      { 'API-Key': 'wrong' },
      { status: 400, code: '49103', field: '', message: 'API-Key is not found' },
    ],
    [
      'a missing userPhone',
      '{"languageCode":"en","expiryMinutes":10,"appURL":""}',
      undefined,
      { status: 400, code: '40002', field: 'phone', message: 'Phone is required' },
    ],
    ['an empty userPhone', '{"userPhone":""}', undefined, { status: 400, code: '40002', field: 'phone', message: 'Phone is required' }],
    ['a phone without country code', '{"userPhone":"08123456789"}', undefined, { status: 400, code: '40002', field: 'phone' }],
    ['a phone as a number', '{"userPhone":6281234567890}', undefined, { status: 400, code: '40002', field: 'phone' }],
    ['an unknown language', '{"userPhone":"6281234567890","languageCode":"fr"}', undefined, { status: 400, code: '40002', field: 'languageCode' }],
    ['a zero expiry', '{"userPhone":"6281234567890","expiryMinutes":0}', undefined, { status: 400, code: '40002', field: 'expiryMinutes' }],
    ['a fractional expiry', '{"userPhone":"6281234567890","expiryMinutes":1.5}', undefined, { status: 400, code: '40002', field: 'expiryMinutes' }],
    ['an appURL that is not a string', '{"userPhone":"6281234567890","appURL":42}', undefined, { status: 400, code: '40002', field: 'appURL' }],
    ['a body that is not JSON', '{"userPhone":', undefined, { status: 400, code: '40002', field: 'body' }],
    ['a JSON array', '[]', undefined, { status: 400, code: '40002', field: 'body' }],
  ];

  it.each(refusals)('refuses %s inside the envelope, with HTTP 200', async (_what, body, headers, expected) => {
    await start({ apiKey: KEY });
    const { http, json } = await post(body, headers);
    expect(http).toBe(200);
    expect(json.status).toBe(expected.status);
    expect(json.error.code).toBe(expected.code);
    expect(json.error.field).toBe(expected.field);
    if (expected.message) expect(json.error.message).toBe(expected.message);
    else expect(json.error.message).not.toBe('');
    expect(json.data).toEqual({});
    expect(emulator!.verifications.size).toBe(0);
  });

  it('answers another method with 405 and an unknown path with 404, both as envelopes', async () => {
    await start();
    const get = await post('', { 'API-Key': KEY }, 'GET');
    expect(get.http).toBe(405);
    expect(get.json).toMatchObject({ status: 405, data: {} });
    const res = await fetch(`${emulator!.url}/api/v1/nothing`, { method: 'POST', headers: { 'API-Key': KEY }, body: '{}' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ status: 404, data: {} });
  });

  it('reports each request it serves', async () => {
    const events: unknown[] = [];
    await start({ onEvent: (e) => events.push(e) });
    const { json } = await post('{"userPhone":"6281234567890"}');
    await post('{}');
    const requests = events.filter((e: any) => e.type === 'request');
    expect(requests).toEqual([
      expect.objectContaining({ method: 'POST', path: CREATE_PATH, httpStatus: 200, envelopeStatus: 200, verificationId: json.data.verificationID }),
      expect.objectContaining({ method: 'POST', path: CREATE_PATH, httpStatus: 200, envelopeStatus: 400, error: 'Phone is required' }),
    ]);
  });
});
