import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorOptions } from '../../src/emulator/emulator.js';
import { emulatorsClosedAfterEach } from '../helpers/cleanup.js';
import { RESPONSE_ALIAS_SETS } from '../../src/emulator/shapes.js';
import { createArgs, runCli, startCli, waitForOutput } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { killAll, send, startListen, type ListenProcess } from '../helpers/listen-process.js';
import { CorrectEndpoint } from '../helpers/webhook-endpoints.js';

// What the public sources say SendTalk does, end to end through the built CLI: the secret in
// TapTalk's `X-Secret-Key`, the event's own status, SendTalk's error codes, every alias set.

const SECRET = 'whsec_REAL_never_printed_6613';
const KEY = 'st_REAL_key_never_printed_2290';
const PHONE = '6281234567890';
const JSON_HEADERS = { 'content-type': 'application/json' };
const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  await killAll();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const emulator = emulatorsClosedAfterEach();

async function listenJson(secretHeader?: string): Promise<{ proc: ListenProcess; url: string }> {
  const proc = startListen(['--tunnel', 'none', '--port', '0', '--secret', SECRET, '--json'], { env: { SENDTALK_SECRET_HEADER: secretHeader } });
  const ready = await proc.line('ready');
  return { proc, url: ready.webhookUrl as string };
}

const deliveries = (proc: ListenProcess): Array<Record<string, unknown>> => proc.lines().filter((l) => l.type === 'delivery');
const neverTheSecret = (...texts: string[]): void => {
  for (const text of texts) expect(text).not.toContain(SECRET);
};

describe('listen: where the secret comes', () => {
  it('accepts it in X-Secret-Key and in Secret-Key; refuses it in X-Foo with 401 and names X-Foo, never the secret', async () => {
    const { proc, url } = await listenJson();
    const body = JSON.stringify({ verificationID: 'v-1', status: 'verified' });
    expect((await send(url, { headers: { ...JSON_HEADERS, 'X-Secret-Key': SECRET }, body })).status).toBe(200);
    expect((await send(url, { headers: { ...JSON_HEADERS, 'Secret-Key': SECRET }, body })).status).toBe(200);
    expect((await send(url, { headers: { ...JSON_HEADERS, 'X-Foo': SECRET }, body })).status).toBe(401);
    await proc.line('delivery', 3);
    proc.child.kill('SIGINT');
    const r = await proc.done;
    const [viaX, viaPlain, viaFoo] = deliveries(proc);
    expect(viaX).toMatchObject({ accepted: true, status: 200, headers: { 'x-secret-key': '[redacted]' } });
    expect(viaPlain).toMatchObject({ accepted: true, status: 200, headers: { 'secret-key': '[redacted]' } });
    expect(viaFoo).toMatchObject({
      accepted: false,
      status: 401,
      reason: 'secret-missing',
      detail: 'no X-Secret-Key or Secret-Key header; the secret came in X-Foo: set SENDTALK_SECRET_HEADER=X-Foo',
      secretLocation: { in: 'header', name: 'X-Foo' },
      headers: { 'x-foo': '[redacted]' },
    });
    expect(r.stderr).toMatch(/The secret came in X-Foo: set SENDTALK_SECRET_HEADER=X-Foo\./);
    expect(proc.lines().at(-1)).toMatchObject({ type: 'done', accepted: 2, refused: 1, refusedBy: { 'secret-missing': 1 } });
    neverTheSecret(r.stdout, r.stderr);
  });

  it('with SENDTALK_SECRET_HEADER reads only that header', async () => {
    const { proc, url } = await listenJson('X-Webhook-Token');
    expect((await send(url, { headers: { ...JSON_HEADERS, 'X-Webhook-Token': SECRET }, body: '{}' })).status).toBe(200);
    expect((await send(url, { headers: { ...JSON_HEADERS, 'X-Secret-Key': SECRET }, body: '{}' })).status).toBe(401);
    await proc.line('delivery', 2);
    proc.child.kill('SIGINT');
    await proc.done;
    expect(deliveries(proc)[1]).toMatchObject({
      detail: 'no X-Webhook-Token header; the secret came in X-Secret-Key: set SENDTALK_SECRET_HEADER=X-Secret-Key',
    });
  });

  it('names a Bearer token and a query parameter, and with no secret anywhere lists the header names that came', async () => {
    const { proc, url } = await listenJson();
    await send(url, { headers: { ...JSON_HEADERS, Authorization: `Bearer ${SECRET}` }, body: '{}' });
    await send(`${url}?token=${SECRET}`, { headers: JSON_HEADERS, body: '{}' });
    await send(url, { headers: { ...JSON_HEADERS, 'X-Request-Id': 'abc' }, body: '{}' });
    await proc.line('delivery', 3);
    proc.child.kill('SIGINT');
    const r = await proc.done;
    const [bearer, query, none] = deliveries(proc);
    expect(bearer).toMatchObject({ status: 401, secretLocation: { in: 'bearer', name: 'Authorization' } });
    expect(bearer!.detail).toMatch(/Authorization Bearer token: set SENDTALK_SECRET_HEADER=Authorization$/);
    expect(query).toMatchObject({ status: 401, secretLocation: { in: 'query', name: 'token' } });
    expect(none).toMatchObject({ status: 401, reason: 'secret-missing' });
    expect(none!.secretLocation).toBeUndefined();
    expect(none!.detail).toMatch(
      /^no X-Secret-Key or Secret-Key header \(headers that came: content-type, x-request-id, host, connection(, content-length)?\)$/,
    );
    // The secret in the query string is shown nowhere, the path included (its masking is the listener's).
    neverTheSecret(r.stderr);
  });

  it('pinned to Authorization, accepts the secret as a Bearer token', async () => {
    const { proc, url } = await listenJson('Authorization');
    expect((await send(url, { headers: { ...JSON_HEADERS, Authorization: `Bearer ${SECRET}` }, body: '{}' })).status).toBe(200);
    expect((await send(url, { headers: { ...JSON_HEADERS, Authorization: 'Bearer nope' }, body: '{}' })).status).toBe(401);
    proc.child.kill('SIGINT');
    await proc.done;
  });

  it('--secret "" is no secret, as the warning says: deliveries are accepted unchecked', async () => {
    const proc = startListen(['--tunnel', 'none', '--port', '0', '--secret', '', '--json']);
    const url = (await proc.line('ready')).webhookUrl as string;
    expect((await send(url, { headers: JSON_HEADERS, body: '{}' })).status).toBe(200);
    proc.child.kill('SIGINT');
    const r = await proc.done;
    expect(r.stderr).toMatch(/No webhook secret: deliveries are accepted without checking X-Secret-Key or Secret-Key/);
  });
});

describe('create: the event decides, and a wait says why it ended', () => {
  async function createAgainst(options: EmulatorOptions, ...extra: string[]) {
    const port = await freePort();
    const emu = await emulator({
      apiKey: KEY,
      secret: SECRET,
      webhookUrl: `http://127.0.0.1:${port}/webhook`,
      autoVerifyMs: 50,
      webhookAttempts: 1,
      ...options,
    });
    const r = await runCli(createArgs({ apiUrl: emu.url, key: KEY, secret: SECRET, phone: PHONE, port }, '--timeout', '10s', ...extra));
    neverTheSecret(r.stdout, r.stderr);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    return { r, emu };
  }

  it('a matched webhook that says "status":"failed" is not verified: exit 3, the status quoted, in text and JSON', async () => {
    const text = await createAgainst({ shape: { webhookStatus: 'failed' } });
    expect(text.r.code).toBe(3);
    expect(text.r.stdout).not.toMatch(/Verified/);
    expect(text.r.stderr).toMatch(/says it was not verified: status "failed"/);
    const json = await createAgainst({ shape: { webhookStatus: 'failed' } }, '--json');
    expect(json.r.code).toBe(3);
    expect(JSON.parse(json.r.stdout)).toMatchObject({ status: 'not-verified', eventStatus: 'failed', verifiedAt: null, matchedBy: 'id' });
  });

  it("a webhook wrapped the way TapTalk's are is read inside its wrapper: verified", async () => {
    const { r } = await createAgainst({ shape: { webhook: 'wrapped' } }, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ status: 'verified', matchedBy: 'id', eventStatus: 'verified', webhook: { type: 'whatsapp_verification_status' } });
    expect(doc.deliveries).toMatchObject({ received: 1, matched: 1, refused: 0 });
  });

  it('a wrapped failed one is not verified, though its wrapper has a type', async () => {
    const { r } = await createAgainst({ shape: { webhook: 'wrapped', webhookStatus: 'FAILED' } }, '--json');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'not-verified', eventStatus: 'FAILED' });
  });

  it('deliveries all refused for a wrong secret: exit 3, and the message leads with that, in text and JSON', async () => {
    const old = { secret: 'whsec_the_previous_save_1', webhookAttempts: 3, webhookBackoffMs: 20 };
    const text = await createAgainst(old, '--timeout', '1500ms');
    expect(text.r.code).toBe(3);
    expect(text.r.stderr).toMatch(
      /✖ 3 deliveries arrived and were refused: secret key is invalid\. No verified webhook within .+ \(3 received; 3 refused: 3× secret key is invalid\)\./,
    );
    expect(text.r.stderr).toMatch(/SENDTALK_WEBHOOK_SECRET \(or --secret\) must be the secret shown after the last save of Verification Config/);
    expect(text.r.stderr).not.toMatch(/check the Webhook URL/i);
    neverTheSecret(text.r.stderr.replace(/x/g, ''));
    expect(text.r.stdout + text.r.stderr).not.toContain('whsec_the_previous_save_1');

    const json = await createAgainst(old, '--timeout', '1500ms', '--json');
    expect(json.r.code).toBe(3);
    expect(JSON.parse(json.r.stdout)).toMatchObject({
      status: 'timeout',
      deliveries: { received: 3, matched: 0, otherVerification: 0, refused: 3, refusedBy: { 'secret-mismatch': 3 } },
      diagnosis: { cause: '3 deliveries arrived and were refused: secret key is invalid', hint: expect.stringMatching(/last save/) },
    });
  });

  it('a delivery for another verification is counted and named, with its id', async () => {
    const port = await freePort();
    const emu = await emulator({ apiKey: KEY, secret: SECRET, webhookUrl: `http://127.0.0.1:${port}/webhook`, autoVerifyMs: false });
    const cli = startCli(createArgs({ apiUrl: emu.url, key: KEY, secret: SECRET, phone: PHONE, port }, '--timeout', '1500ms', '--json'));
    await waitForOutput(cli.stderr, /Waiting for the verified webhook/);
    await send(`http://127.0.0.1:${port}/webhook`, {
      headers: { ...JSON_HEADERS, 'X-Secret-Key': SECRET },
      body: '{"verificationID":"someone-else-42","status":"verified"}',
    });
    const r = await cli.done;
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({
      deliveries: { received: 1, otherVerification: 1, others: ['someone-else-42'] },
      diagnosis: { cause: '1 delivery arrived for another verification (someone-else-42)' },
    });
  });

  it('nothing at all with --tunnel none: says SendTalk cannot reach a local listener', async () => {
    const { r } = await createAgainst({ autoVerifyMs: false }, '--timeout', '500ms');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/No delivery arrived\. No verified webhook within/);
    expect(r.stderr).toMatch(/The listener is local \(--tunnel none\): SendTalk cannot reach it/);
  });
});

describe('the emulator speaks as SendTalk does', () => {
  it.each(
    [...Array(RESPONSE_ALIAS_SETS).keys()].flatMap(
      (set) =>
        [
          [set, false],
          [set, true],
        ] as const,
    ),
  )('create reads the answer with alias set %i (nested: %s), end to end', async (set, nested) => {
    const { r, emu } = await createAgainstShape({ responseAliases: set, responseNested: nested });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const [v] = [...emu.verifications.values()];
    expect(doc).toMatchObject({ status: 'verified', id: v!.id, phone: PHONE, link: v!.link, message: v!.message, qr: v!.link, expiresAt: v!.expiresAt });
  });

  async function createAgainstShape(shape: EmulatorOptions['shape']) {
    const port = await freePort();
    const emu = await emulator({ apiKey: KEY, secret: SECRET, webhookUrl: `http://127.0.0.1:${port}/webhook`, autoVerifyMs: 20, shape });
    const r = await runCli(createArgs({ apiUrl: emu.url, key: KEY, secret: SECRET, phone: PHONE, port }, '--timeout', '10s', '--json'));
    return { r, emu };
  }

  it('a missing key (40001) and an unknown key (49103) are exit 4 with a hint about the key', async () => {
    const emu = await emulator({ apiKey: KEY });
    const missing = await runCli(['create', '--api-url', emu.url, '--phone', PHONE, '--no-wait', '--json'], { env: { SENDTALK_API_KEY: ' ' } });
    expect(missing.code).toBe(4);
    expect(JSON.parse(missing.stdout).error).toMatchObject({
      code: '40001',
      message: expect.stringMatching(/Request headers are required \(API-Key\)/),
      hint: expect.stringMatching(/SENDTALK_API_KEY/),
    });
    const unknown = await runCli(['create', '--api-url', emu.url, '--api-key', 'st_not_this_one_1234', '--phone', PHONE, '--no-wait', '--json']);
    expect(unknown.code).toBe(4);
    expect(JSON.parse(unknown.stdout).error).toMatchObject({
      code: '49103',
      message: expect.stringMatching(/API-Key is not found/),
      hint: expect.stringMatching(/does not know this API key/),
    });
  });

  it('the emulator CLI takes its shape from the control API, before and between creates', async () => {
    const hook = await new CorrectEndpoint(SECRET).start();
    cleanups.push(() => hook.stop());
    const emu = startCli(['emulator', '--port', '0', '--json', '--auto-verify', '50ms', '--webhook-url', hook.url, '--secret', SECRET]);
    cleanups.push(() => {
      emu.child.kill('SIGKILL');
    });
    const ready = JSON.parse((await waitForOutput(emu.stdout, /^.*\n/))[0]);
    expect(ready.shape).toEqual({ responseAliases: 0, responseNested: false, webhook: 'flat', webhookStatus: 'verified' });
    const set = await fetch(`${ready.url}/_emulator/shape`, { method: 'PUT', body: '{"responseAliases":3,"webhook":"wrapped","webhookStatus":"failed"}' });
    expect(await set.json()).toEqual({ responseAliases: 3, responseNested: false, webhook: 'wrapped', webhookStatus: 'failed' });
    const answer = (await (
      await fetch(`${ready.url}/api/v1/verification/create_whatsapp_verification`, {
        method: 'POST',
        headers: { 'API-Key': 'k' },
        body: `{"userPhone":"${PHONE}"}`,
      })
    ).json()) as { data: Record<string, unknown> };
    expect(Object.keys(answer.data).sort()).toEqual(['id', 'waMeLink', 'messageText', 'qrCodeImage', 'msisdn', 'expiredAt'].sort());
    await waitForOutput(emu.stdout, /"type":"webhook"/);
    expect(hook.requests[0]!.headers['x-secret-key']).toBe(SECRET);
    expect(JSON.parse(hook.requests[0]!.body.toString('utf8'))).toMatchObject({
      type: 'whatsapp_verification_status',
      whatsappVerificationStatus: { status: 'failed' },
    });

    const put = await fetch(`${ready.url}/_emulator/shape`, { method: 'PUT', body: '{"webhook":"flat","webhookStatus":"verified","responseNested":true}' });
    expect(await put.json()).toEqual({ responseAliases: 3, responseNested: true, webhook: 'flat', webhookStatus: 'verified' });
    const bad = await fetch(`${ready.url}/_emulator/shape`, { method: 'PUT', body: `{"responseAliases":${RESPONSE_ALIAS_SETS}}` });
    expect(bad.status).toBe(400);

    // The flags of earlier versions are gone, each with its control call in the error.
    const refused = await runCli(['emulator', '--port', '0', '--response-aliases', '3']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--response-aliases is now the emulator\'s control API: PUT /_emulator/shape {"responseAliases":1}.');
  });
});

describe('doctor tells only what it checked', () => {
  it('without a secret it never says the secret was checked', async () => {
    const emu = await emulator({ apiKey: KEY });
    const without = await runCli(['doctor', '--api-url', emu.url, '--api-key', KEY, '--tunnel', 'none', '--json']);
    const row = JSON.parse(without.stdout).checks.find((c: { id: string }) => c.id === 'webhook');
    expect(row.status).toBe('pass');
    expect(row.detail).toMatch(/throwaway secret in X-Secret-Key \(no webhook secret is set, so yours was not checked\)/);
    expect(row.detail).not.toMatch(/secret checked|your secret passed/);
    const withSecret = await runCli(['doctor', '--api-url', emu.url, '--api-key', KEY, '--secret', SECRET, '--tunnel', 'none', '--json']);
    expect(JSON.parse(withSecret.stdout).checks.find((c: { id: string }) => c.id === 'webhook').detail).toMatch(/your secret passed in X-Secret-Key$/);
    neverTheSecret(withSecret.stdout, withSecret.stderr);
  });
});
