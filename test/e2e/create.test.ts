import { afterEach, describe, expect, it } from 'vitest';
import { emulatorsClosedAfterEach } from '../helpers/cleanup.js';
import { createArgs, runCli, startCli, waitForOutput } from '../helpers/cli.js';
import { envelope, FakeApi } from '../helpers/fake-api.js';
import { freePort, isListening } from '../helpers/ports.js';

const PHONE = '6281234567890';
const KEY = 'st_live_KEY_do_not_print_7781';
const SECRET = 'whsec_SECRET_do_not_print_4412';
const stop: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const fn of stop.splice(0).reverse()) await fn();
});

async function fakeApi(...answers: ConstructorParameters<typeof FakeApi>[0][]): Promise<FakeApi> {
  const api = await new FakeApi().start();
  api.answer(...answers.filter((a) => a !== undefined));
  stop.push(() => api.stop());
  return api;
}

const emulator = emulatorsClosedAfterEach();

const noTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

describe('create --sandbox', () => {
  it('runs the whole flow offline and prints one JSON document', async () => {
    const r = await runCli(['create', '--sandbox', '--phone', PHONE, '--json', '--timeout', '30s'], { env: { SENDTALK_SANDBOX_DELAY: '100ms' } });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ status: 'verified', phone: PHONE, sandbox: true, matchedBy: 'id' });
    expect(doc.id).toMatch(/\S/);
    expect(doc.link).toMatch(/^https:\/\/wa\.me\/\d+\?text=/);
    expect(doc.webhook).toMatchObject({ verificationID: doc.id, status: 'verified' });
    expect(Date.parse(doc.verifiedAt) - Date.parse(doc.createdAt)).toBe(doc.elapsedMs);
    expect(r.stdout.trim().startsWith('{') && r.stdout.trim().endsWith('}')).toBe(true);
  });

  it('needs no phone, and prints facts on stdout and progress on stderr', async () => {
    const r = await runCli(['create', '--sandbox'], { env: { SENDTALK_SANDBOX_DELAY: '0' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ID\s+\S+/);
    expect(r.stdout).toMatch(/Link\s+https:\/\/wa\.me\//);
    expect(r.stdout).toMatch(/Message\s+Hi SendTalk/);
    expect(r.stdout).toMatch(/Verified 6281234567890 in .+ \(matched by id\)/);
    expect(r.stderr).toMatch(/Sandbox: embedded SendTalk emulator/);
    expect(r.stderr).toMatch(/Waiting for the verified webhook/);
    // With no delay the webhook can beat the create's answer: it is still this verification's.
    expect(r.stderr).not.toMatch(/another verification/);
    // Off a terminal: no QR code and no spinner frames unless asked.
    expect(r.stderr).not.toMatch(/[▄▀█]/);
    expect(r.stderr).not.toMatch(/\u001b\[/);
  });

  it('draws the QR code off a terminal when SENDTALK_QR=always asks', async () => {
    const r = await runCli(['create', '--sandbox', '--language', 'id'], { env: { SENDTALK_QR: 'always', SENDTALK_SANDBOX_DELAY: '0' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/[▄▀█]{10,}/);
    expect(r.stdout).toMatch(/Message\s+Halo SendTalk/);
  });

  it('exits 3 with status timeout when the webhook does not come in time', async () => {
    const r = await runCli(['create', '--sandbox', '--json', '--timeout', '1s'], { env: { SENDTALK_SANDBOX_DELAY: '1m' } });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'timeout', verifiedAt: null });
    expect(r.stderr).toMatch(/No delivery arrived\. No verified webhook within/);
  });

  it('exits 130 on Ctrl-C while waiting and frees the listener port', async () => {
    const port = await freePort();
    const cli = startCli(['create', '--sandbox', '--port', String(port)], { env: { SENDTALK_SANDBOX_DELAY: '1m' } });
    stop.push(() => {
      cli.child.kill('SIGKILL');
    });
    await waitForOutput(cli.stderr, /Waiting for the verified webhook/);
    expect(await isListening(port)).toBe(true);
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/Interrupted/);
    expect(await isListening(port)).toBe(false);
  });

  it('exits 130 on SIGTERM too', async () => {
    const cli = startCli(['create', '--sandbox'], { env: { SENDTALK_SANDBOX_DELAY: '1m' } });
    stop.push(() => {
      cli.child.kill('SIGKILL');
    });
    await waitForOutput(cli.stderr, /Waiting for the verified webhook/);
    cli.child.kill('SIGTERM');
    expect((await cli.done).code).toBe(130);
  });
});

describe('create against an API', () => {
  it('creates with --no-wait against the emulator, sending the key', async () => {
    const emu = await emulator({ apiKey: KEY, autoVerifyMs: false });
    const r = await runCli(['create', '--api-url', emu.url, '--phone', '+62 812-3456-7890', '--no-wait'], { env: { SENDTALK_API_KEY: KEY } });
    expect(r.code).toBe(0);
    const [v] = [...emu.verifications.values()];
    expect(v).toMatchObject({ phone: PHONE });
    expect(r.stdout).toContain(v!.id);
    expect(r.stdout).toContain(v!.link);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('waits for the webhook from the emulator and checks its secret', async () => {
    const port = await freePort();
    const emu = await emulator({ apiKey: KEY, secret: SECRET, webhookUrl: `http://127.0.0.1:${port}/webhook`, autoVerifyMs: 100 });
    const r = await runCli(createArgs({ apiUrl: emu.url, key: KEY, secret: SECRET, phone: PHONE, port }, '--json', '--timeout', '10s'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'verified', sandbox: false });
    const [v] = [...emu.verifications.values()];
    expect(v!.webhookAttempts[0]).toMatchObject({ status: 200 });
    expect(r.stdout + r.stderr).not.toContain(KEY);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('refuses a webhook with the wrong secret, says why, and times out', async () => {
    const port = await freePort();
    const emu = await emulator({
      apiKey: KEY,
      secret: 'whsec_the_old_one_99',
      webhookUrl: `http://127.0.0.1:${port}/webhook`,
      autoVerifyMs: 50,
      webhookAttempts: 1,
    });
    const r = await runCli(createArgs({ apiUrl: emu.url, key: KEY, secret: SECRET, phone: PHONE, port }, '--timeout', '1500ms'));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/Refused a delivery: POST \/webhook → 401/);
    expect(r.stderr).toMatch(/SENDTALK_WEBHOOK_SECRET/);
    expect([...emu.verifications.values()][0]!.webhookAttempts[0]).toMatchObject({ status: 401 });
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(r.stdout + r.stderr).not.toContain('whsec_the_old_one_99');
  });

  it('sends the number normalised, without the trunk zero, whatever way it was typed', async () => {
    const emu = await emulator({ apiKey: KEY, autoVerifyMs: false });
    const r = await runCli(['create', '--api-url', emu.url, '--api-key', KEY, '--phone', '+62 (0)812-3456-7890', '--no-wait', '--json']);
    expect(r.code).toBe(0);
    expect([...emu.verifications.values()].map((v) => v.phone)).toEqual(['6281234567890']);
    expect(JSON.parse(r.stdout).phone).toBe('6281234567890');
  });

  it('exits 4 on an HTTP 200 error envelope and shows its message', async () => {
    const api = await fakeApi({ body: envelope(null, { code: '40002', message: 'Phone is required', field: 'phone' }, 400) });
    const r = await runCli(['create', '--api-url', api.url, '--api-key', KEY, '--phone', PHONE, '--no-wait', '--json']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('Phone is required');
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'error', error: { category: 'api-rejected', code: '40002', field: 'phone', exitCode: 4 } });
    expect(api.requests[0]!.headers['api-key']).toBe(KEY);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    noTrace(r.stderr);
  });

  it('exits 1 without a stack trace on an HTML 502', async () => {
    const api = await fakeApi(...Array(3).fill({ status: 502, body: '<html><title>502 Bad Gateway</title></html>' }));
    const r = await runCli(['create', '--api-url', api.url, '--api-key', KEY, '--phone', PHONE, '--no-wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/HTTP 502 with an HTML page/);
    noTrace(r.stderr);
  });

  it.each([
    [{ verificationId: 'alias-1', whatsappLink: 'https://wa.me/628?text=hello' }],
    [{ id: 'alias-1', whatsappMessageLink: 'https://wa.me/628', whatsappMessage: 'hello' }],
    [{ data: { verificationID: 'alias-1', link: 'https://wa.me/628', message: 'hello' } }],
  ])('understands the response shape %j', async (data) => {
    const api = await fakeApi({ body: envelope(data) });
    const r = await runCli(['create', '--api-url', api.url, '--api-key', KEY, '--phone', PHONE, '--no-wait', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'created', id: 'alias-1', message: 'hello' });
  });

  it('keeps the key out of --debug traces', async () => {
    const api = await fakeApi({ body: envelope({ id: 'd1', waLink: 'https://wa.me/1' }) });
    const r = await runCli(['create', '--api-url', api.url, '--api-key', KEY, '--phone', PHONE, '--no-wait', '--debug']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[debug\] → POST/);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });
});

describe('create usage errors', () => {
  it('exits 2 without a key, naming SENDTALK_API_KEY and --sandbox', async () => {
    const r = await runCli(['create', '--phone', PHONE, '--no-wait']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SENDTALK_API_KEY/);
    expect(r.stderr).toMatch(/--sandbox/);
    noTrace(r.stderr);
  });

  it('reads the key from .env when neither flag nor environment gives it', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'stv-'));
    const emu = await emulator({ apiKey: KEY, autoVerifyMs: false });
    await writeFile(join(dir, '.env'), `SENDTALK_API_KEY=${KEY}\nSENDTALK_API_URL=${emu.url}\n`);
    const r = await runCli(['create', '--phone', PHONE, '--no-wait'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(emu.verifications.size).toBe(1);
  });

  it('exits 2 for a local phone number and shows the form to type, sending nothing', async () => {
    const api = await fakeApi();
    const r = await runCli(['create', '--api-url', api.url, '--api-key', KEY, '--phone', '0812-3456-7890', '--no-wait']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--phone 6281234567890');
    expect(api.requests).toHaveLength(0);
  });

  it.each([
    [['create', '--sandbox', '--timeout', 'soon'], /--timeout "soon" is not a duration/],
    [['create', '--sandbox', '--port', 'http'], /--port "http" is not a port number/],
    [['create', '--sandbox', '--language', 'fr'], /Allowed choices are en, id/],
    [['create', '--sandbx'], /Did you mean --sandbox\?/],
    [['create', '--sandbox', '--timeout', '9999h'], /longer than the 20 days/],
    [
      ['create', '--api-url', 'sendtalk.example', '--api-key', 'k', '--phone', '6281234567890', '--tunnel', 'none'],
      /--api-url "sendtalk.example" is not an http\(s\) URL/,
    ],
  ])('exits 2 for %j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('documents the exit codes in --help', async () => {
    const r = await runCli(['create', '--help']);
    expect(r.code).toBe(0);
    for (const code of ['0', '1', '2', '3', '4', '5', '6', '130']) expect(r.stdout).toMatch(new RegExp(`^  ${code}\\s+\\S`, 'm'));
    expect(r.stdout).toMatch(/Examples:/);
  });
});
