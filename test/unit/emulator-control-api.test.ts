import { afterEach, describe, expect, it } from 'vitest';
import { CREATE_PATH } from '../../src/client/create-verification.js';
import type { EmulatorHandle } from '../../src/emulator/emulator.js';
import { emulatorsClosedAfterEach } from '../helpers/cleanup.js';
import { FakeApi } from '../helpers/fake-api.js';
import { freePort } from '../helpers/ports.js';
import { CorrectEndpoint } from '../helpers/webhook-endpoints.js';
import { pause } from '../helpers/until.js';

const SECRET = 'whsec_control_api_secret_5521';
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const emulator = emulatorsClosedAfterEach({ webhookBackoffMs: 20 });

async function endpoint(): Promise<CorrectEndpoint> {
  const e = await new CorrectEndpoint(SECRET).start();
  cleanup.push(() => e.stop());
  return e;
}

async function create(e: EmulatorHandle, phone = '6281234567890'): Promise<string> {
  const res = await fetch(`${e.url}${CREATE_PATH}`, { method: 'POST', headers: { 'API-Key': 'k' }, body: JSON.stringify({ userPhone: phone }) });
  return ((await res.json()) as any).data.verificationID;
}

async function control(e: EmulatorHandle, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${e.url}/_emulator${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

describe('the control API', () => {
  it('lists verifications and shows one', async () => {
    const e = await emulator();
    const a = await create(e, '6281111111111');
    const b = await create(e, '6282222222222');
    const list = await control(e, 'GET', '/verifications');
    expect(list.status).toBe(200);
    expect(list.json.verifications.map((v: any) => [v.id, v.phone, v.status])).toEqual([
      [a, '6281111111111', 'pending'],
      [b, '6282222222222', 'pending'],
    ]);
    const one = await control(e, 'GET', `/verifications/${b}`);
    expect(one.json.verification).toMatchObject({ id: b, phone: '6282222222222' });
    const missing = await control(e, 'GET', '/verifications/nope');
    expect(missing.status).toBe(404);
    expect(missing.json.error).toBe('no verification nope');
  });

  it('delivers the verified webhook on a verify call, with the secret header and the payload', async () => {
    const hook = await endpoint();
    const e = await emulator({ webhookUrl: hook.url, secret: SECRET });
    const id = await create(e);
    const res = await control(e, 'POST', `/verifications/${id}/verify`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      delivered: true,
      attempt: { attempt: 1, status: 200 },
      verification: { id, status: 'verified', webhookState: 'delivered' },
    });
    expect(hook.requests).toHaveLength(1);
    const [request] = hook.requests;
    expect(request!.method).toBe('POST');
    expect(request!.headers['x-secret-key']).toBe(SECRET);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body.toString())).toMatchObject({ verificationID: id, userPhone: '6281234567890', status: 'verified', languageCode: 'en' });
  });

  it('answers 202 at once with ?wait=false, and the delivery shows up in /webhooks', async () => {
    const hook = await endpoint();
    const e = await emulator({ webhookUrl: hook.url, secret: SECRET });
    const id = await create(e);
    const res = await control(e, 'POST', `/verifications/${id}/verify?wait=false`);
    expect(res.status).toBe(202);
    expect(res.json.verification.status).toBe('verified');
    await expect.poll(async () => (await control(e, 'GET', '/webhooks')).json.webhooks[0]?.state).toBe('delivered');
  });

  it('retries a failing webhook with backoff and shows every attempt', async () => {
    const flaky = await new FakeApi({ status: 200, body: { ok: true } }).start();
    cleanup.push(() => flaky.stop());
    flaky.answer({ status: 500, body: { error: 'boom' } }, { status: 503, body: { error: 'busy' } });
    const e = await emulator({ webhookUrl: `${flaky.url}/hook`, secret: SECRET });
    const id = await create(e);
    await control(e, 'POST', `/verifications/${id}/verify`);
    const { json } = await control(e, 'GET', '/webhooks');
    expect(json.webhooks).toHaveLength(1);
    expect(json.webhooks[0]).toMatchObject({ seq: 1, verificationId: id, url: `${flaky.url}/hook`, state: 'delivered' });
    expect(json.webhooks[0].attempts.map((a: any) => a.status)).toEqual([500, 503, 200]);
    expect(flaky.requests.map((r) => r.headers['x-secret-key'])).toEqual([SECRET, SECRET, SECRET]);
  });

  it('gives up after the last attempt and says why', async () => {
    const closed = await freePort();
    const events: any[] = [];
    const e = await emulator({ webhookUrl: `http://127.0.0.1:${closed}/webhook`, webhookAttempts: 2, onEvent: (ev) => events.push(ev) });
    const id = await create(e);
    const res = await control(e, 'POST', `/verifications/${id}/verify`);
    expect(res.json).toMatchObject({ delivered: false, attempt: { attempt: 2, error: 'connection refused' }, verification: { webhookState: 'failed' } });
    expect((await control(e, 'GET', '/webhooks')).json.webhooks[0]).toMatchObject({ state: 'failed', attempts: [{ attempt: 1 }, { attempt: 2 }] });
    expect(events.filter((ev) => ev.type === 'webhook').map((ev) => [ev.attempt.attempt, ev.delivered, ev.final])).toEqual([
      [1, false, false],
      [2, false, true],
    ]);
  });

  it('points the webhook elsewhere with PUT /webhook, without ever showing the secret', async () => {
    const hook = await endpoint();
    const e = await emulator();
    const set = await control(e, 'PUT', '/webhook', { url: hook.url, secret: SECRET, secretHeader: 'Secret-Key' });
    expect(set.json).toEqual({ url: hook.url, secretHeader: 'Secret-Key', secretSet: true });
    expect(JSON.stringify((await control(e, 'GET', '/webhook')).json)).not.toContain(SECRET);
    await control(e, 'POST', `/verifications/${await create(e)}/verify`);
    expect(hook.requests[0]!.headers['secret-key']).toBe(SECRET);
    expect((await control(e, 'PUT', '/webhook', { url: 'ftp://x' })).status).toBe(400);
  });

  it('forgets everything on reset', async () => {
    const e = await emulator();
    await create(e);
    await control(e, 'POST', '/faults', { type: 'hang', count: 3 });
    expect((await control(e, 'POST', '/reset')).json).toEqual({ ok: true });
    expect((await control(e, 'GET', '/verifications')).json.verifications).toEqual([]);
    expect((await control(e, 'GET', '/faults')).json.faults).toEqual([]);
  });

  it('lists its routes, and refuses unknown routes and methods with the list', async () => {
    const e = await emulator();
    const index = await control(e, 'GET', '');
    expect(index.json.routes).toEqual(expect.arrayContaining([expect.stringContaining('/_emulator/faults')]));
    const unknown = await control(e, 'GET', '/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.json.routes.length).toBeGreaterThan(5);
    expect((await control(e, 'DELETE', '/verifications')).status).toBe(405);
    expect((await control(e, 'GET', `/verifications/x/verify`)).status).toBe(404);
  });
});

describe('automatic verification', () => {
  it('delivers once after the delay, and not again when verified by hand first', async () => {
    const hook = await endpoint();
    const e = await emulator({ webhookUrl: hook.url, secret: SECRET, autoVerifyMs: 150 });
    const auto = await create(e);
    await expect.poll(() => hook.requests.length).toBe(1);
    expect(JSON.parse(hook.requests[0]!.body.toString()).verificationID).toBe(auto);

    const manual = await create(e);
    await e.verify(manual);
    expect(hook.requests).toHaveLength(2);
    // Past the auto-verify delay, the hand-verified one must not be delivered a second time.
    await pause(400);
    expect(hook.requests.map((r) => JSON.parse(r.body.toString()).verificationID)).toEqual([auto, manual]);
  });

  it('marks a pending verification expired once its expiry has passed', async () => {
    const e = await emulator({ defaultExpiryMinutes: 1 });
    const id = await create(e);
    const v = e.verifications.get(id) as { expiresAt: string };
    v.expiresAt = new Date(Date.now() - 1000).toISOString();
    expect((await control(e, 'GET', `/verifications/${id}`)).json.verification.status).toBe('expired');
  });
});
