import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CREATE_PATH } from '../../src/client/create-verification.js';
import { runCli, startCli, waitForOutput } from '../helpers/cli.js';
import { freePort, isListening } from '../helpers/ports.js';
import { CorrectEndpoint } from '../helpers/webhook-endpoints.js';

const KEY = 'st_emu_KEY_never_printed_3141';
const SECRET = 'whsec_EMU_never_printed_2718';
const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function emulator(args: string[]): ReturnType<typeof startCli> {
  const cli = startCli(['emulator', ...args], { killAfterMs: 25_000 });
  cleanup.push(() => {
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
  });
  return cli;
}

/** The vendor's curl request, byte for byte: `--header 'API-Key: …' --data-raw '{…}'`. */
function curl(base: string, headers: Record<string, string>, body: string): Promise<{ http: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${CREATE_PATH}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ http: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const VENDOR_BODY = '{"userPhone": "6281234567890", "languageCode": "en", "expiryMinutes": 10, "appURL": ""}';

describe('sendtalk-verify emulator', () => {
  it('answers the vendor curl request on --port P, refuses a missing key and phone in the envelope, and exits 0 on SIGTERM (how scripts stop a server)', async () => {
    const port = await freePort();
    const cli = emulator(['--port', String(port), '--api-key', KEY]);
    const base = `http://127.0.0.1:${port}`;
    await waitForOutput(cli.stdout, new RegExp(`listening on ${base}\\n`));

    const ok = await curl(base, { 'API-Key': KEY }, VENDOR_BODY);
    expect(ok.http).toBe(200);
    expect(ok.json.status).toBe(200);
    expect(ok.json.data.verificationID).toEqual(expect.any(String));
    expect(ok.json.data.waLink).toMatch(/^https:\/\/wa\.me\//);

    const noKey = await curl(base, {}, VENDOR_BODY);
    expect(noKey.http).toBe(200);
    // SendTalk's own code and text for a missing key, body status 400 on HTTP 200, and data {}.
    expect(noKey.json).toEqual({ status: 400, error: { code: '40001', message: 'Request headers are required (API-Key)', field: '' }, data: {} });

    const noPhone = await curl(base, { 'API-Key': KEY }, '{"languageCode": "en", "expiryMinutes": 10, "appURL": ""}');
    expect(noPhone.http).toBe(200);
    expect(noPhone.json).toMatchObject({ status: 400, error: { code: '40002', message: 'Phone is required', field: 'phone' }, data: {} });

    await waitForOutput(cli.stdout, /Phone is required/);
    cli.child.kill('SIGTERM');
    const result = await cli.done;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await isListening(port)).toBe(false);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe(`SendTalk emulator listening on ${base}`);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(new RegExp(`POST ${CREATE_PATH} → 200 \\(status 200\\).*created ${ok.json.data.verificationID}`)),
      expect.stringMatching(/→ 200 \(status 400: Request headers are required \(API-Key\)\)/),
      expect.stringMatching(/→ 200 \(status 400: Phone is required\)/),
    ]);
    expect(result.stderr).toContain('Interrupted (SIGTERM)');
    expect(result.stdout + result.stderr).not.toContain(KEY);
  });

  it('--json: a ready line, one line per request and per webhook attempt, the webhook signed; SIGINT exits 130', async () => {
    const hook = await new CorrectEndpoint(SECRET).start();
    cleanup.push(() => hook.stop());
    const cli = emulator(['--port', '0', '--json', '--webhook-url', hook.url, '--secret', SECRET, '--auto-verify', '100ms']);
    const ready = JSON.parse((await waitForOutput(cli.stdout, /^.*\n/))[0]);
    expect(ready).toMatchObject({
      type: 'ready',
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      apiKeyRequired: false,
      webhookUrl: hook.url,
      secretHeader: 'X-Secret-Key',
      secretSet: true,
      autoVerifyMs: 100,
    });

    const created = await curl(ready.url, { 'API-Key': 'anything' }, VENDOR_BODY);
    const id = created.json.data.verificationID;
    await waitForOutput(cli.stdout, /"type":"webhook"/);
    expect(hook.requests).toHaveLength(1);
    expect(hook.requests[0]!.headers['x-secret-key']).toBe(SECRET);
    expect(JSON.parse(hook.requests[0]!.body.toString())).toMatchObject({ verificationID: id, status: 'verified' });

    // A fault through the control API shows in the request line it shaped.
    await fetch(`${ready.url}/_emulator/faults`, { method: 'POST', body: '{"type":"http-error","status":502}' });
    expect((await fetch(`${ready.url}${CREATE_PATH}`, { method: 'POST', headers: { 'API-Key': 'k' }, body: VENDOR_BODY })).status).toBe(502);
    await waitForOutput(cli.stdout, /"fault":"http-error"/);

    cli.child.kill('SIGINT');
    const result = await cli.done;
    expect(result.code, result.stdout + result.stderr).toBe(130);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => l.type)).toEqual(['ready', 'request', 'webhook', 'request', 'request', 'stopped']);
    expect(lines[1]).toMatchObject({ method: 'POST', path: CREATE_PATH, httpStatus: 200, envelopeStatus: 200, verificationId: id });
    expect(lines[2]).toMatchObject({ verificationId: id, url: hook.url, attempt: 1, status: 200, delivered: true, final: true });
    expect(lines[3]).toMatchObject({ path: '/_emulator/faults', httpStatus: 201 });
    expect(lines[4]).toMatchObject({ httpStatus: 502, fault: 'http-error' });
    expect(result.stdout + result.stderr).not.toContain(SECRET);
  });

  it('exits 2 with a hint when the port is taken, and prints nothing on stdout', async () => {
    const first = emulator(['--port', '0', '--json']);
    const ready = JSON.parse((await waitForOutput(first.stdout, /^.*\n/))[0]);
    const port = new URL(ready.url).port;
    const second = await runCli(['emulator', '--port', port]);
    expect(second.code).toBe(2);
    expect(second.stdout).toBe('');
    expect(second.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use.`);
    expect(second.stderr).toContain('--port');
  });

  it.each([
    [['--auto-verify', 'soon'], '--auto-verify "soon" is not a duration'],
    [['--port', 'http'], '--port "http" is not a port number'],
    [['--webhook-url', 'localhost:3000'], 'is not an http(s) URL'],
  ])('refuses %j with exit 2', async (args, message) => {
    const result = await runCli(['emulator', ...args]);
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
