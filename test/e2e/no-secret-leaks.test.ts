import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { verifiedPayload, type EmulatorHandle, type EmulatorOptions } from '../../src/emulator/emulator.js';
import { emulatorForTest } from '../helpers/cleanup.js';
import { createArgs, runCli, startCli, waitForOutput, type CliOptions, type CliResult } from '../helpers/cli.js';
import { envelope, FakeApi } from '../helpers/fake-api.js';
import { send } from '../helpers/listen-process.js';
import { freePort } from '../helpers/ports.js';
import { CorrectEndpoint, EchoesHeadersEndpoint, EchoesSpellingsEndpoint } from '../helpers/webhook-endpoints.js';

/**
 * Known key and secret values go through the success and failure paths of every command (with
 * --debug and --json too), and none of them may show: not in stdout, not in stderr, not in a
 * --log file, not in an error message. A masked form (`••••e5d4`) is fine; any run of 8 characters
 * of a value is a leak.
 */
// No 8-character run is shared between them, so a leak is always blamed on the right value.
const KEY = 'sk_KEYCANARY_7f3a9c21e5d4';
const WRONG_KEY = 'sk_BADKEYZZ_0d4e6b88aa12';
const SECRET = 'whsec_SECRETCANARY_4b8d6e02';
const WRONG_SECRET = 'whsec_BADSECRETQQ_91c3aa70';
const VALUES = { KEY, WRONG_KEY, SECRET, WRONG_SECRET };
const PHONE = '6281234567890';

/**
 * Every 8-character window of each value, in any letter case, and its hex, base64 and base64url
 * spellings: a partial print, an upper-case copy or an encoded echo is a leak too.
 */
function expectNoLeak(where: string, text: string): void {
  const lower = text.toLowerCase();
  for (const [name, value] of Object.entries(VALUES)) {
    const bytes = Buffer.from(value, 'utf8');
    // base64 is read as written; a window of the value, or its hex, in any case.
    const exact = [bytes.toString('base64'), bytes.toString('base64url')].map((s) => s.slice(0, 16));
    const anyCase = [bytes.toString('hex').slice(0, 16)];
    for (let i = 0; i + 8 <= value.length; i++) anyCase.push(value.slice(i, i + 8).toLowerCase());
    const found = [...exact.map((piece) => [piece, text.indexOf(piece)] as const), ...anyCase.map((piece) => [piece, lower.indexOf(piece)] as const)].find(
      ([, at]) => at >= 0,
    );
    if (found) throw new Error(`${where}: shows ${name} (…${found[0]}…):\n${text.slice(Math.max(0, found[1] - 200), found[1] + 200)}`);
  }
}

const transcript = (r: CliResult): string => `${r.stdout}\n${r.stderr}`;

/** Runs the built CLI and checks its whole output; returns the result for the path's own checks. */
async function run(label: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  const r = await runCli(args, options);
  expect(r.signal, `${label} was killed`).toBeNull();
  expectNoLeak(label, transcript(r));
  return r;
}

const emulator = (t: TestContext, options: EmulatorOptions = {}): Promise<EmulatorHandle> => emulatorForTest(t, { apiKey: KEY, ...options });

const tempFile = (name: string): string => join(mkdtempSync(join(tmpdir(), 'sendtalk-leaks-')), name);

describe.concurrent('no key or secret in any output', () => {
  it('create --sandbox, with the real key and secret in the environment, --debug and --json', async () => {
    const env = { SENDTALK_API_KEY: KEY, SENDTALK_WEBHOOK_SECRET: SECRET };
    expect((await run('sandbox --debug', ['create', '--sandbox', '--debug'], { env: { ...env, SENDTALK_SANDBOX_DELAY: '0' } })).code).toBe(0);
    expect((await run('sandbox --json', ['create', '--sandbox', '--json', '--debug'], { env: { ...env, SENDTALK_SANDBOX_DELAY: '0' } })).code).toBe(0);
  });

  it('create against the emulator: created, verified through the listener, --debug traces', async (t) => {
    const emu = await emulator(t);
    const created = await run('create --no-wait', ['create', '--api-url', emu.url, '--api-key', KEY, '--phone', PHONE, '--no-wait', '--debug']);
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(/\[debug\] → POST .*API-Key: ••••e5d4/);

    const port = await freePort();
    const signed = await emulator(t, { secret: SECRET, webhookUrl: `http://127.0.0.1:${port}/webhook`, autoVerifyMs: 50 });
    const verified = await run(
      'create verified',
      ['create', '--api-url', signed.url, '--phone', PHONE, '--tunnel', 'none', '--port', String(port), '--json', '--debug', '--timeout', '15s'],
      { env: { SENDTALK_API_KEY: KEY, SENDTALK_WEBHOOK_SECRET: SECRET } },
    );
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout).status).toBe('verified');
  });

  it('create failures: a wrong key, an API error, a body that echoes the key, a webhook with the wrong secret', async (t) => {
    const emu = await emulator(t);
    const wrongKey = await run('wrong key', ['create', '--api-url', emu.url, '--api-key', WRONG_KEY, '--phone', PHONE, '--no-wait', '--debug', '--json']);
    expect(wrongKey.code).toBe(4);
    expect(wrongKey.stderr).toMatch(/API key/i);

    emu.injectFault({ type: 'error-envelope', status: 400, code: '40002', message: 'Phone is invalid', field: 'phone' });
    expect((await run('API error', ['create', '--api-url', emu.url, '--api-key', KEY, '--phone', PHONE, '--no-wait', '--debug'])).code).toBe(4);

    // A proxy that echoes the request headers (the key among them) in its error page and in JSON.
    const echo = await new FakeApi().start();
    t.onTestFinished(() => echo.stop());
    const page = `<html><title>502 Bad Gateway</title><pre>API-Key: ${KEY}</pre></html>`;
    echo.answer(
      { status: 502, body: page },
      { status: 502, body: page },
      { status: 502, body: page },
      { body: envelope(null, { code: 'HeaderValidationFailed', message: `API-Key ${KEY} is invalid`, field: 'API-Key' }, 401) },
    );
    expect((await run('echoed in HTML', ['create', '--api-url', echo.url, '--api-key', KEY, '--phone', PHONE, '--no-wait', '--debug'])).code).toBe(1);
    expect(
      (await run('echoed in the envelope', ['create', '--api-url', echo.url, '--api-key', KEY, '--phone', PHONE, '--no-wait', '--json', '--debug'])).code,
    ).toBe(4);

    const port = await freePort();
    const wrongSecret = await emulator(t, { secret: WRONG_SECRET, webhookUrl: `http://127.0.0.1:${port}/webhook`, autoVerifyMs: 50, webhookAttempts: 1 });
    const refused = await run(
      'webhook with the wrong secret',
      createArgs({ apiUrl: wrongSecret.url, key: KEY, secret: SECRET, phone: PHONE, port }, '--timeout', '1500ms', '--debug'),
    );
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/Refused a delivery: POST \/webhook → 401/);
  });

  it('listen --log --json and in words, with right, wrong and missing secrets; trigger and trigger --check against it; trigger --replay of its log', async () => {
    const log = tempFile('deliveries.ndjson');
    const listen = startCli(['listen', '--tunnel', 'none', '--port', '0', '--secret', SECRET, '--log', log, '--json', '--debug'], { killAfterMs: 25_000 });
    try {
      const url = JSON.parse((await waitForOutput(listen.stdout, /^.*\n/))[0]).webhookUrl as string;
      expect((await send(url, { headers: { 'content-type': 'application/json', 'secret-key': SECRET }, body: '{"verificationID":"v-right"}' })).status).toBe(
        200,
      );
      expect(
        (await send(url, { headers: { 'content-type': 'application/json', 'secret-key': WRONG_SECRET }, body: '{"verificationID":"v-wrong"}' })).status,
      ).toBe(401);
      expect((await send(url, { headers: { 'content-type': 'application/json', 'Secret-Key': SECRET.slice(0, -1) }, body: '{}' })).status).toBe(401);
      expect((await send(url, { headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);

      const sent = await run('trigger', ['trigger', '--url', url, '--secret', SECRET, '--debug']);
      expect(sent.code).toBe(0);
      const check = await run('trigger --check', ['trigger', '--url', url, '--check', '--json', '--debug'], { env: { SENDTALK_WEBHOOK_SECRET: SECRET } });
      expect(check.code, check.stdout).toBe(0);
      const badCheck = await run('trigger --check, wrong secret', ['trigger', '--url', url, '--check', '--secret', WRONG_SECRET]);
      expect(badCheck.code).toBe(5);
      // The log holds the refused requests too (trigger --check's forgeries): some replays fail, exit 5.
      const replay = await run('trigger --replay', ['trigger', '--url', url, '--replay', log, '--secret', SECRET, '--json']);
      expect(JSON.parse(replay.stdout)).toMatchObject({ mode: 'replay' });
    } finally {
      listen.child.kill('SIGINT');
    }
    const r = await listen.done;
    expect(r.code).toBe(130);
    expectNoLeak('listen --json --debug', transcript(r));
    const logged = readFileSync(log, 'utf8');
    expect(logged.split('\n').filter(Boolean).length).toBeGreaterThan(10);
    expectNoLeak('the --log file', logged);

    // In words too, and with the secret from the environment.
    const human = startCli(['listen', '--tunnel', 'none', '--port', '0', '--debug'], { env: { SENDTALK_WEBHOOK_SECRET: SECRET }, killAfterMs: 20_000 });
    const url = (await waitForOutput(human.stderr, /Webhook listener on (http:\/\/\S+)/))[1]!;
    await send(url, { headers: { 'content-type': 'application/json', 'secret-key': WRONG_SECRET }, body: '{}' });
    await send(url, { headers: { 'content-type': 'application/json', 'secret-key': SECRET }, body: '{"verificationID":"v-2"}' });
    await waitForOutput(human.stdout, /200 accepted/);
    human.child.kill('SIGTERM');
    expectNoLeak('listen in words', transcript(await human.done));
  });

  it('listen --json: the key (from the environment) and the secret in a query string and a body, in other spellings; the --log file keeps the body as it came', async () => {
    const log = tempFile('deliveries.ndjson');
    const listen = startCli(['listen', '--tunnel', 'none', '--port', '0', '--secret', SECRET, '--log', log, '--json'], {
      env: { SENDTALK_API_KEY: KEY },
      killAfterMs: 25_000,
    });
    const bodyWithSecret = JSON.stringify({ verificationID: 'v-body', note: `copied ${SECRET} by mistake` });
    try {
      const url = JSON.parse((await waitForOutput(listen.stdout, /^.*\n/))[0]).webhookUrl as string;
      const hex = Buffer.from(SECRET).toString('hex').toUpperCase();
      const query = `?key=${KEY}&k2=${KEY.toUpperCase()}&part=${SECRET.slice(4, 16)}&hex=${hex}`;
      expect((await send(`${url}${query}`, { headers: { 'content-type': 'application/json', 'secret-key': SECRET }, body: bodyWithSecret })).status).toBe(200);
      // Runs of the secret in a header of its own name, which the listener keeps as it came (only the
      // line's masking stands between it and stdout), and in a path it does not serve (which the
      // listener masks itself).
      const origin = new URL(url).origin;
      expect((await send(`${origin}/hooks/${SECRET.slice(13, 25)}`, { headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
      const note = { 'content-type': 'application/json', 'secret-key': SECRET, 'x-note': `ref ${SECRET.slice(12, 24)}` };
      expect((await send(url, { headers: note, body: '{"verificationID":"v-note"}' })).status).toBe(200);
    } finally {
      listen.child.kill('SIGTERM');
    }
    const r = await listen.done;
    expectNoLeak('listen --json', transcript(r));
    const delivery = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .find((doc) => doc.type === 'delivery');
    expect(delivery.bodyMasked).toBe(true);
    const lines = r.stdout.split('\n').filter((line) => line.includes('"type":"delivery"'));
    expect(lines, 'the deliveries to another path and with the note header').toHaveLength(3);
    expectNoLeak('listen --json, its body decoded', Buffer.from(delivery.bodyBase64, 'base64').toString('utf8'));
    // The log file is for --replay: the body byte-exact (the file is 0600), the headers still masked.
    const logged = JSON.parse(readFileSync(log, 'utf8').split('\n')[0]!);
    expect(Buffer.from(logged.bodyBase64, 'base64').toString('utf8')).toBe(bodyWithSecret);
    expectNoLeak('the --log file, but its body', JSON.stringify({ ...logged, bodyBase64: '' }));
  });

  it('trigger against an endpoint that echoes the secret back, and to nowhere', async (t) => {
    const echo = await new EchoesHeadersEndpoint(SECRET).start();
    t.onTestFinished(() => echo.stop());
    expect((await run('trigger, echoed', ['trigger', '--url', echo.url, '--secret', SECRET, '--debug'])).code).toBe(0);
    const spelled = await new EchoesSpellingsEndpoint(SECRET).start();
    t.onTestFinished(() => spelled.stop());
    expect((await run('trigger, echoed in other spellings', ['trigger', '--url', spelled.url, '--secret', SECRET, '--debug'])).code).toBe(0);
    expect((await run('trigger --json, echoed', ['trigger', '--url', echo.url, '--secret', SECRET, '--json'])).code).toBe(0);
    const down = `http://127.0.0.1:${await freePort()}/webhook`;
    expect((await run('trigger, refused', ['trigger', '--url', down, '--secret', SECRET, '--debug'])).code).toBe(5);
    expect((await run('trigger --check, refused', ['trigger', '--url', down, '--secret', SECRET, '--check', '--json'])).code).toBe(5);
  });

  it('doctor: passing, a wrong key, no API, and values read from a .env file', async (t) => {
    const emu = await emulator(t);
    expect((await run('doctor', ['doctor', '--api-url', emu.url, '--api-key', KEY, '--secret', SECRET, '--tunnel', 'none', '--debug'])).code).toBe(0);
    expect((await run('doctor --json', ['doctor', '--api-url', emu.url, '--api-key', KEY, '--secret', SECRET, '--tunnel', 'none', '--json'])).code).toBe(0);
    expect(
      (await run('doctor, wrong key', ['doctor', '--api-url', emu.url, '--api-key', WRONG_KEY, '--secret', SECRET, '--tunnel', 'none', '--json', '--debug']))
        .code,
    ).toBe(5);
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    expect((await run('doctor, no API', ['doctor', '--api-url', nowhere, '--api-key', KEY, '--secret', SECRET, '--tunnel', 'none'])).code).toBe(5);
    const dir = mkdtempSync(join(tmpdir(), 'sendtalk-leaks-env-'));
    writeFileSync(join(dir, '.env'), `SENDTALK_API_KEY=${KEY}\nSENDTALK_WEBHOOK_SECRET=${SECRET}\nSENDTALK_API_URL=${emu.url}\n`);
    expect((await run('doctor from .env', ['doctor', '--tunnel', 'none', '--debug'], { cwd: dir })).code).toBe(0);
  });

  it('emulator --json and in words: a good key, a wrong key, the signed webhook, Ctrl-C', async (t) => {
    const hook = await new CorrectEndpoint(SECRET).start();
    t.onTestFinished(() => hook.stop());
    for (const json of [true, false]) {
      const emu = startCli(
        [
          'emulator',
          '--port',
          '0',
          '--api-key',
          KEY,
          '--secret',
          SECRET,
          '--webhook-url',
          hook.url,
          '--auto-verify',
          '0',
          '--debug',
          ...(json ? ['--json'] : []),
        ],
        { killAfterMs: 20_000 },
      );
      t.onTestFinished(() => {
        emu.child.kill('SIGKILL');
      });
      const base = json
        ? (JSON.parse((await waitForOutput(emu.stdout, /^.*\n/))[0]).url as string)
        : (await waitForOutput(emu.stdout, /listening on (http:\/\/\S+)/))[1]!;
      const createUrl = `${base}/api/v1/verification/create_whatsapp_verification`;
      const good = await fetch(createUrl, { method: 'POST', headers: { 'API-Key': KEY }, body: `{"userPhone":"${PHONE}"}` });
      expect(((await good.json()) as { status: number }).status).toBe(200);
      const bad = await fetch(createUrl, { method: 'POST', headers: { 'API-Key': WRONG_KEY }, body: `{"userPhone":"${PHONE}"}` });
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('49103');
      await waitForOutput(emu.stdout, json ? /"type":"webhook".*"status":200/ : /webhook .* 200 .*delivered/);
      emu.child.kill('SIGINT');
      const r = await emu.done;
      expect(r.code).toBe(130);
      expectNoLeak(`emulator${json ? ' --json' : ''}`, transcript(r));
    }
    // Payloads the emulator signs carry no secret either.
    expectNoLeak(
      'the verified payload',
      JSON.stringify(verifiedPayload({ id: 'x', phone: PHONE, languageCode: 'en', verifiedAt: new Date(0).toISOString() } as never)),
    );
  });

  it('listen binds to 127.0.0.1 unless --host says otherwise, and warns when it does not', async () => {
    const local = await run('listen on loopback', ['listen', '--tunnel', 'none', '--port', '0', '--secret', SECRET, '--timeout', '200ms', '--json']);
    expect(JSON.parse(local.stdout.split('\n')[0]!).localUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhook$/);
    expect(local.stderr).not.toMatch(/not loopback/);
    const open = await run('listen on every interface', ['listen', '--tunnel', 'none', '--port', '0', '--secret', SECRET, '--timeout', '200ms'], {
      env: { SENDTALK_LISTEN_HOST: '0.0.0.0' },
    });
    expect(open.code).toBe(3);
    expect(open.stderr).toMatch(/binds to 0\.0\.0\.0, not loopback: other machines can reach it/);
  });

  it('usage errors that name the offending value do not show a key or secret', async () => {
    const cases: Array<[string, string[], CliOptions?]> = [
      ['bad API URL', ['create', '--api-url', `not a url ${KEY}`, '--api-key', KEY, '--phone', PHONE, '--no-wait']],
      ['bad port', ['listen', '--tunnel', 'none', '--secret', SECRET, '--port', 'eighty']],
      ['bad phone', ['create', '--api-key', KEY, '--secret', SECRET, '--phone', '0812', '--no-wait', '--json']],
      ['a key pasted as an argument', ['create', KEY, '--sandbox']],
      ['a flag left without its value', ['create', '--phone', '--api-key', KEY, '--no-wait']],
      ['bad public URL', ['listen', '--secret', SECRET, '--tunnel', `ftp://${SECRET}@example.com`]],
    ];
    for (const [label, args, options] of cases) expect((await run(label, args, options)).code, label).toBe(2);
  });
});
