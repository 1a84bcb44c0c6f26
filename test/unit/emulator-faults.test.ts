import { describe, expect, it } from 'vitest';
import { CREATE_PATH, createVerification } from '../../src/client/create-verification.js';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/emulator.js';
import { parseFault } from '../../src/emulator/faults.js';
import { SendtalkVerifyError } from '../../src/errors.js';
import { isListening } from '../helpers/ports.js';
import { emulatorsClosedAfterEach } from '../helpers/cleanup.js';

let emulator: EmulatorHandle | undefined;
const startEmulatorForTest = emulatorsClosedAfterEach();
async function start(options: Parameters<typeof startEmulator>[0] = {}): Promise<EmulatorHandle> {
  emulator = await startEmulatorForTest(options);
  return emulator;
}

async function create(signal?: AbortSignal): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${emulator!.url}${CREATE_PATH}`, { method: 'POST', headers: { 'API-Key': 'k' }, body: '{"userPhone":"6281234567890"}', signal });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function inject(fault: object): Promise<{ status: number; json: any }> {
  const res = await fetch(`${emulator!.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify(fault) });
  return { status: res.status, json: await res.json() };
}

describe('fault injection', () => {
  it('answers the next N API requests with a 5xx page, then normally again', async () => {
    await start();
    const queued = await inject({ type: 'http-error', status: 503, count: 2 });
    expect(queued.status).toBe(201);
    expect(queued.json.faults).toEqual([{ id: 1, fault: { type: 'http-error', status: 503 }, remaining: 2 }]);
    const first = await create();
    expect(first.status).toBe(503);
    expect(first.headers.get('content-type')).toMatch(/text\/html/);
    expect(first.text).toContain('503 Service Unavailable');
    expect((await create()).status).toBe(503);
    const third = await create();
    expect(third.status).toBe(200);
    expect(JSON.parse(third.text).status).toBe(200);
    // Faulted requests create nothing: only the third one did.
    expect(emulator!.verifications.size).toBe(1);
  });

  it.each([500, 502])('can answer HTTP %i', async (status) => {
    await start();
    await inject({ type: 'http-error', status });
    expect((await create()).status).toBe(status);
  });

  it('rate-limits with 429 and Retry-After', async () => {
    await start();
    await inject({ type: 'rate-limit', retryAfter: 7 });
    const res = await create();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(JSON.parse(res.text)).toMatchObject({ status: 429, data: {} });
  });

  it('sends a malformed body with HTTP 200', async () => {
    await start();
    await inject({ type: 'malformed' });
    const res = await create();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(() => JSON.parse(res.text)).toThrow();
    expect(res.text.startsWith('{"status":200')).toBe(true);
  });

  it('sends an error envelope the SendTalk way, with HTTP 200', async () => {
    await start();
    await inject({ type: 'error-envelope' });
    await inject({ type: 'error-envelope', status: 400, code: 'ParamValidationFailed', message: 'Phone is blocked', field: 'phone' });
    const defaults = await create();
    expect(defaults.status).toBe(200);
    expect(JSON.parse(defaults.text)).toEqual({ status: 500, error: { code: '50000', message: 'Internal server error', field: '' }, data: {} });
    expect(JSON.parse((await create()).text)).toEqual({
      status: 400,
      error: { code: 'ParamValidationFailed', message: 'Phone is blocked', field: 'phone' },
      data: {},
    });
  });

  it('adds latency, then answers normally', async () => {
    await start();
    await inject({ type: 'latency', ms: 300 });
    const started = Date.now();
    const res = await create();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(JSON.parse(res.text).status).toBe(200);
    expect(emulator!.verifications.size).toBe(1);
  });

  it('hangs until the client gives up; the next request is answered, and close() ends the hang', async () => {
    const events: any[] = [];
    await start({ onEvent: (e) => events.push(e) });
    await inject({ type: 'hang', count: 2 });
    await expect(create(AbortSignal.timeout(300))).rejects.toThrow();
    // A second hanging request stays open while the emulator closes: close() must not wait for it.
    const pending = create().catch((error: Error) => error);
    await expect.poll(() => events.filter((e) => e.type === 'request' && e.fault === 'hang').length).toBe(2);
    const port = emulator!.port;
    await emulator!.close();
    expect(await pending).toBeInstanceOf(Error);
    expect(await isListening(port)).toBe(false);
  });

  it('never applies to control requests, and can be listed and cleared', async () => {
    await start();
    await inject({ type: 'http-error', count: 3 });
    const list = await fetch(`${emulator!.url}/_emulator/faults`);
    expect(list.status).toBe(200);
    expect(((await list.json()) as any).faults[0].remaining).toBe(3);
    await fetch(`${emulator!.url}/_emulator/faults`, { method: 'DELETE' });
    expect((await create()).status).toBe(200);
  });

  it('takes faults in the order they were queued', async () => {
    await start({
      faults: [
        { type: 'http-error', status: 502 },
        { type: 'rate-limit', retryAfter: 1, count: 1 },
      ],
    });
    expect(emulator!.faults.map((f) => f.fault.type)).toEqual(['http-error', 'rate-limit']);
    expect((await create()).status).toBe(502);
    expect((await create()).status).toBe(429);
    expect((await create()).status).toBe(200);
  });

  it('refuses a fault it does not understand, saying what is wrong', async () => {
    await start();
    expect(await inject({ type: 'explode' })).toMatchObject({ status: 400, json: { error: expect.stringContaining('"type" must be one of') } });
    expect((await inject({ type: 'http-error', status: 404 })).json.error).toContain('500 to 599');
    expect((await inject({ type: 'hang', count: 0 })).json.error).toContain('count');
    expect((await inject({ type: 'latency' })).json.error).toContain('"ms"');
    expect(emulator!.faults).toEqual([]);
  });
});

describe('faults for the reliability suite', () => {
  it('resets the connection in the middle of a success answer, after the headers', async () => {
    await start();
    await inject({ type: 'reset' });
    const res = await fetch(`${emulator!.url}${CREATE_PATH}`, { method: 'POST', headers: { 'API-Key': 'k' }, body: '{"userPhone":"6281234567890"}' });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(emulator!.verifications.size).toBe(0);
  });

  it('resets the connection before answering', async () => {
    await start();
    await inject({ type: 'reset', at: 'before-answer' });
    await expect(create()).rejects.toThrow();
    expect((await create()).status).toBe(200);
  });

  it('answers an HTML page with the status asked for, 200 by default', async () => {
    await start();
    await inject({ type: 'html' });
    const res = await create();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.text).toMatch(/<title>Sign in to continue<\/title>/);
  });

  it('answers a success envelope without the fields named', async () => {
    await start();
    await inject({ type: 'missing-fields', fields: ['waLink', 'qrCode'] });
    const body = JSON.parse((await create()).text);
    expect(body).toMatchObject({ status: 200, error: { code: '', message: '' } });
    expect(Object.keys(body.data)).toEqual(['verificationID', 'userPhone', 'waMessage', 'expiredTime']);
  });

  it('refuses connections while offline, then listens on the same port again', async () => {
    await start();
    const { port } = emulator!;
    const answered = await fetch(`${emulator!.url}/_emulator/offline`, { method: 'POST', body: '{"ms":60000}' });
    expect(answered.status).toBe(202);
    await expect.poll(() => isListening(port)).toBe(false);
    expect(emulator!.offline).toBe(true);
    await expect(create()).rejects.toThrow();
    await emulator!.goOnline();
    expect(emulator!.offline).toBe(false);
    expect((await create()).status).toBe(200);
    // Back by itself after the time given, and close() while offline still resolves.
    await emulator!.goOffline(50);
    expect(await isListening(port)).toBe(true);
    void emulator!.goOffline(60_000);
    await emulator!.close();
    expect(await isListening(port)).toBe(false);
  });

  it('checks the new fault shapes', () => {
    expect(parseFault({ type: 'reset' })).toEqual({ fault: { type: 'reset', at: 'mid-body' }, count: 1 });
    expect(parseFault({ type: 'html', status: 503 })).toEqual({ fault: { type: 'html', status: 503 }, count: 1 });
    expect(parseFault({ type: 'missing-fields' })).toEqual({ fault: { type: 'missing-fields', fields: ['verificationID', 'waLink'] }, count: 1 });
    expect(parseFault({ type: 'reset', at: 'later' })).toHaveProperty('error');
    expect(parseFault({ type: 'html', status: 99 })).toHaveProperty('error');
    expect(parseFault({ type: 'missing-fields', fields: ['nope'] })).toHaveProperty('error');
    expect(parseFault({ type: 'missing-fields', fields: [] })).toHaveProperty('error');
  });
});

describe('a client under faults', () => {
  it('the SendTalk client retries a 503 and succeeds', async () => {
    await start();
    emulator!.injectFault({ type: 'http-error', status: 503 });
    const v = await createVerification({ apiKey: 'k', apiUrl: emulator!.url, phone: '6281234567890' });
    expect(emulator!.verifications.has(v.id)).toBe(true);
  });

  it('the SendTalk client reports a malformed body as the API being unavailable', async () => {
    await start();
    emulator!.injectFault({ type: 'malformed' }, 3);
    const error = await createVerification({ apiKey: 'k', apiUrl: emulator!.url, phone: '6281234567890' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendtalkVerifyError);
    expect((error as SendtalkVerifyError).category).toBe('api-unavailable');
  });

  it('the SendTalk client gives up on a hang within its response timeout', async () => {
    await start();
    emulator!.injectFault({ type: 'hang' });
    const error = await createVerification({ apiKey: 'k', apiUrl: emulator!.url, phone: '6281234567890', responseTimeoutMs: 300, retries: 0 }).catch(
      (e: unknown) => e,
    );
    expect((error as SendtalkVerifyError).message).toMatch(/did not answer/);
  });
});

describe('parseFault', () => {
  it('fills in the defaults', () => {
    expect(parseFault({ type: 'http-error' })).toEqual({ fault: { type: 'http-error', status: 500 }, count: 1 });
    expect(parseFault({ type: 'rate-limit', count: 4 })).toEqual({ fault: { type: 'rate-limit', retryAfter: 1 }, count: 4 });
    expect(parseFault({ type: 'error-envelope', status: 401 })).toEqual({
      fault: { type: 'error-envelope', status: 401, code: '40100', message: 'Internal server error', field: '' },
      count: 1,
    });
  });

  it('refuses what is not a fault object', () => {
    expect(parseFault(null)).toHaveProperty('error');
    expect(parseFault({ type: 'latency', ms: -1 })).toHaveProperty('error');
    expect(parseFault({ type: 'error-envelope', status: 200 })).toHaveProperty('error');
    expect(parseFault({ type: 'error-envelope', code: 5 })).toHaveProperty('error');
  });
});

describe('the latency option', () => {
  it('delays API answers but not control answers', async () => {
    // Wide margins: this tells "delayed" from "not delayed", it does not measure speed.
    await start({ latencyMs: 1500 });
    let started = Date.now();
    await fetch(`${emulator!.url}/_emulator/verifications`);
    const control = Date.now() - started;
    started = Date.now();
    expect(JSON.parse((await create()).text).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1450);
    expect(control).toBeLessThan(1000);
  });
});
