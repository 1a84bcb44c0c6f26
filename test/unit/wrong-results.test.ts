import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVerification } from '../../src/client/create-verification.js';
import { parseVerification } from '../../src/client/parse-verification.js';
import { SendtalkVerifyError } from '../../src/errors.js';
import { parseDeliveryLog } from '../../src/trigger/replay.js';
import { startListener } from '../../src/webhook/listener.js';
import { parseJsonKeepingBigIntegers, quoteBigIntegers } from '../../src/json.js';
import { envelope, FakeApi } from '../helpers/fake-api.js';

const KEY = 'live_key_wrong_results_0001';

describe('20-digit numeric IDs', () => {
  it('are kept exact as strings; everything else parses as JSON.parse does', () => {
    expect(
      parseJsonKeepingBigIntegers(
        '{"id":12345678901234567890,"n":-12345678901234567890,"small":42,"f":1234567890123456.5,"e":1e300,"s":"12345678901234567890"}',
      ),
    ).toEqual({ id: '12345678901234567890', n: '-12345678901234567890', small: 42, f: 1234567890123456.5, e: 1e300, s: '12345678901234567890' });
    expect(quoteBigIntegers('{"a":"x\\"12345678901234567890","b":[1234567890123456]}')).toBe('{"a":"x\\"12345678901234567890","b":["1234567890123456"]}');
    expect(parseJsonKeepingBigIntegers('{"a":[1,2,{"b":null}]}')).toEqual({ a: [1, 2, { b: null }] });
  });

  it('from the API match the ID in a webhook exactly', async () => {
    const api = await new FakeApi().start();
    try {
      api.answer({
        body: '{"status":200,"error":{"code":"","message":"","field":""},"data":{"verificationID":12345678901234567890,"waLink":"https://wa.me/1"}}',
        headers: { 'content-type': 'application/json' },
      });
      const v = await createVerification({ apiKey: KEY, apiUrl: api.url, phone: '6281234567890', retries: 0 });
      expect(v.id).toBe('12345678901234567890');
    } finally {
      await api.stop();
    }
    const listener = await startListener();
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(listener.url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end('{"verificationID":12345678901234567890}');
      });
      expect(status).toBe(200);
      expect(listener.accepted[0]!.verificationId).toBe('12345678901234567890');
    } finally {
      await listener.close();
    }
  });
});

describe('answers that are not a success', () => {
  let api: FakeApi;
  beforeEach(async () => {
    api = await new FakeApi().start();
  });
  afterEach(async () => {
    await api.stop();
  });

  it('a 301 with a JSON success envelope is an error naming the redirect', async () => {
    api.answer({ status: 301, headers: { location: 'https://elsewhere.example/api' }, body: envelope({ id: 'v1', waLink: 'https://wa.me/1' }) });
    const error = await createVerification({ apiKey: KEY, apiUrl: api.url, phone: '6281234567890', retries: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendtalkVerifyError);
    expect((error as Error).message).toBe('SendTalk API answered HTTP 301, a redirect to https://elsewhere.example/api, not a result.');
  });
});

describe('parseVerification', () => {
  it('refuses a waLink that is not an http(s) URL', () => {
    for (const link of [42, 'javascript:alert(1)', 'wa.me/1']) {
      expect(() => parseVerification({ id: 'v1', waLink: link }, '62812')).toThrow(/no usable WhatsApp link \(".*" is not an http\(s\) URL\)/);
    }
    expect(parseVerification({ id: 'v1', waLink: 'https://wa.me/62811?text=hi' }, '62812').link).toBe('https://wa.me/62811?text=hi');
  });

  it('calls an array data an array', () => {
    expect(() => parseVerification([{ id: 'v1' }], '62812')).toThrow('SendTalk answered success but its "data" is an array, not an object.');
  });
});

describe('trigger --replay on records it cannot use', () => {
  it('skips them with the reason instead of failing', () => {
    const good = { type: 'delivery', seq: 4, receivedAt: 'x', method: 'POST', path: '/w', status: 200, accepted: true, headers: {}, bodyBase64: 'e30=' };
    const log = parseDeliveryLog(
      [
        JSON.stringify({ type: 'delivery', seq: 1, method: 'POST', headers: {}, bodyBase64: 'e30=' }),
        JSON.stringify({ type: 'delivery', seq: 2, receivedAt: 'x', method: 5, headers: {}, bodyBase64: 'e30=' }),
        JSON.stringify({ type: 'delivery', receivedAt: 'x', method: 'POST', bodyBase64: 'e30=' }),
        JSON.stringify(good),
      ].join('\n'),
    );
    expect(log.records.map((r) => r.seq)).toEqual([4]);
    expect(log.skipped).toEqual([
      { seq: 1, reason: 'not a usable record: no receivedAt time' },
      { seq: 2, reason: 'not a usable record: its method is not a string' },
      { seq: 0, line: 3, reason: 'not a usable record: no headers object' },
    ]);
  });
});
