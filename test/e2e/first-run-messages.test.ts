import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, waitForOutput } from '../helpers/cli.js';
import { serversStoppedAfterEach } from '../helpers/cleanup.js';
import { envelope, FakeApi } from '../helpers/fake-api.js';
import { freePort } from '../helpers/ports.js';

const KEY = 'st_first_run_key_never_shown';
const start = serversStoppedAfterEach();

/** A create answer whose verification expires in `ms`. */
function expiringIn(ms: number): object {
  return envelope({
    verificationID: 'v-exp',
    userPhone: '6281234567890',
    waLink: 'https://wa.me/6281100000000?text=hi',
    waMessage: 'hi',
    expiredTime: Date.now() + ms,
  });
}

/** Messages that must point at the right thing: the flag that helps, where a bad value came from. */
describe('messages that point at the right thing', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sendtalk-first-run-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('an expired verification points at --expiry, a timeout at --timeout', async () => {
    const api = await start(new FakeApi().answer({ body: expiringIn(3000) }));
    const expired = await runCli(['create', '--api-url', api.url, '--api-key', KEY, '--phone', '6281234567890', '--tunnel', 'none']);
    expect(expired.code, expired.stderr).toBe(3);
    expect(expired.stderr).toMatch(/expired after/);
    expect(expired.stderr).toMatch(/--expiry gives a verification longer/);
    expect(expired.stderr).not.toMatch(/--timeout waits longer/);

    const late = await runCli(['create', '--sandbox', '--timeout', '500ms'], { env: { SENDTALK_SANDBOX_DELAY: '1m' } });
    expect(late.code).toBe(3);
    expect(late.stderr).toMatch(/--timeout waits longer/);
  });

  it('--timeout 0 is refused; the wait starts once the verification exists, so no negative time is shown', async () => {
    const zero = await runCli(['create', '--sandbox', '--timeout', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--timeout "0" is no time at all: a time-out must be longer than 0\.\n.*--no-wait to create only/);

    // The API takes 1.5 s to answer; a 2 s timeout still has (nearly) all of its 2 s to wait, not 0.5 s.
    const api = await start(new FakeApi().answer({ body: expiringIn(60_000), delayMs: 1500 }));
    const r = await runCli(['create', '--api-url', api.url, '--api-key', KEY, '--phone', '6281234567890', '--tunnel', 'none', '--timeout', '2s']);
    expect(r.code).toBe(3);
    const left = /Waiting for the verified webhook \((\d+(?:\.\d)?) (s|ms) until timeout\)/.exec(r.stderr);
    expect(left, r.stderr).not.toBeNull();
    expect(left![2] === 's' ? Number(left![1]) : 0, 'counted from the creation, not from before the request').toBeGreaterThan(1.5);
    expect(r.stderr).not.toMatch(/-\d+ ms/);
  });

  it('--api-url given the endpoint URL says to pass the base URL', async () => {
    const r = await runCli([
      'create',
      '--api-key',
      KEY,
      '--phone',
      '6281234567890',
      '--tunnel',
      'none',
      '--api-url',
      'https://sendtalk-api.taptalk.io/api/v1/verification/create_whatsapp_verification',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is an endpoint's URL, not the API base URL");
    expect(r.stderr).toContain('Set --api-url to the base URL only: https://sendtalk-api.taptalk.io');
  });

  it('a bad value from .env is blamed on .env; the sandbox ignores SENDTALK_API_URL; a BOM keeps the first variable', async () => {
    const cwd = join(dir, 'dotenv');
    await rm(cwd, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(cwd));
    await writeFile(join(cwd, '.env'), `\uFEFFSENDTALK_API_URL=notaurl\nSENDTALK_API_KEY=${KEY}\n`);
    const real = await runCli(['create', '--phone', '6281234567890', '--tunnel', 'none', '--no-wait'], { cwd });
    expect(real.code).toBe(2);
    expect(real.stderr).toContain(`SENDTALK_API_URL (in ${join(cwd, '.env')}) "notaurl" is not an http(s) URL.`);
    expect(real.stderr).toContain('Set SENDTALK_API_URL to the API base URL');

    const sandbox = await runCli(['create', '--sandbox', '--no-wait'], { cwd });
    expect(sandbox.code, sandbox.stderr).toBe(0);

    const fromEnv = await runCli(['create', '--phone', '6281234567890', '--tunnel', 'none', '--no-wait'], { cwd, env: { SENDTALK_API_URL: 'ftp://x' } });
    expect(fromEnv.stderr).toContain('SENDTALK_API_URL (environment) "ftp://x" is not an http(s) URL.');

    await writeFile(join(cwd, '.env'), 'SENDTALK_TUNNEL_HOST=ftp://tunnel.example\n');
    const tunnelHost = await runCli(['listen', '--secret', 's'], { cwd });
    expect(tunnelHost.code).toBe(2);
    expect(tunnelHost.stderr).toContain(`SENDTALK_TUNNEL_HOST (in ${join(cwd, '.env')}): Tunnel host "ftp://tunnel.example" is not an http(s) URL.`);
    const subdomain = await runCli(['listen', '--secret', 's'], { cwd, env: { SENDTALK_TUNNEL_HOST: 'http://127.0.0.1:9', SENDTALK_SUBDOMAIN: 'A_B' } });
    expect(subdomain.code).toBe(2);
    expect(subdomain.stderr).toMatch(/SENDTALK_SUBDOMAIN \(environment\): Subdomain "A_B"/);
  });

  it.for(['notaurl', 'javascript:alert(1)'])('SENDTALK_APP_URL %s is refused before anything is sent', async (appUrl) => {
    const api = await start(new FakeApi());
    const r = await runCli(['create', '--api-url', api.url, '--api-key', KEY, '--phone', '6281234567890', '--tunnel', 'none', '--no-wait'], {
      env: { SENDTALK_APP_URL: appUrl },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`SENDTALK_APP_URL (environment): The app URL "${appUrl}" is not an http(s) URL.`);
    expect(api.requests).toHaveLength(0);
  });

  it('create --tunnel none says SendTalk cannot reach the listener; no QR code, no "(or scan the QR code)"', async () => {
    const api = await start(new FakeApi().answer({ body: expiringIn(60_000) }));
    const r = await runCli(['create', '--api-url', api.url, '--api-key', KEY, '--phone', '6281234567890', '--tunnel', 'none', '--timeout', '200ms']);
    expect(r.stderr).toMatch(/Local only \(--tunnel none\): SendTalk cannot reach this listener/);
    expect(r.stderr).toContain('Open the link on the phone and send the message unchanged.');
    const qr = await runCli(['create', '--sandbox'], { env: { SENDTALK_QR: 'always', SENDTALK_SANDBOX_DELAY: '0' } });
    expect(qr.stderr).toContain('Open the link on the phone (or scan its QR code) and send the message unchanged.');
    expect(qr.stderr).not.toMatch(/Local only/);
  });

  it('trigger validates, then announces', async () => {
    const noSecret = await runCli(['trigger', '--url', 'http://127.0.0.1:9/webhook', '--check']);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/A check needs the webhook secret/);
    expect(noSecret.stderr).not.toMatch(/Checking/);
    const badUrl = await runCli(['trigger', '--url', 'notaurl']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/--url "notaurl" is not an http\(s\) URL/);
    expect(badUrl.stderr).not.toMatch(/Sending/);
  });

  it('a tunnel host that does not resolve fails at once with exit 6, not after SENDTALK_TUNNEL_TIMEOUT', async () => {
    // A 64-character label: the resolver refuses it locally (ENOTFOUND), no DNS server is asked.
    const host = `http://${'a'.repeat(64)}.test`;
    // With a 60 s time-out, only failing at once ends this within the test's own time limit.
    const r = await runCli(['listen', '--secret', 's'], { env: { SENDTALK_TUNNEL_TIMEOUT: '60s', SENDTALK_TUNNEL_HOST: host }, killAfterMs: 25_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(`The tunnel server ${host} cannot be reached: host name not found (ENOTFOUND).`);
    expect(r.stderr).toMatch(/Check the network connection and DNS, and the SENDTALK_TUNNEL_HOST name/);
  });

  it('a closed pipe after --help or --version is a quiet exit 0', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN, cleanEnv } = await import('../helpers/cli.js');
    for (const args of [['--help'], ['create', '--help'], ['--version']]) {
      const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // the reader went away before the first byte, like `| head -c0`
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d;
      });
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(code, args.join(' ')).toBe(0);
      expect(stderr).toBe('');
    }
  });

  it('-l ID is taken as id; an impossible number and a bad --auto-verify are refused with the right hint', async () => {
    const upper = await runCli(['create', '--sandbox', '--no-wait', '--json', '-l', 'ID']);
    expect(upper.code, upper.stderr).toBe(0);
    expect(JSON.parse(upper.stdout).message).toMatch(/^Halo SendTalk/);

    const zeros = await runCli(['create', '--sandbox', '--no-wait', '--phone', '+62 000 0000 0000']);
    expect(zeros.code).toBe(2);
    expect(zeros.stderr).toMatch(/"\+62 000 0000 0000" is not a valid phone number for ID/);

    const auto = await runCli(['emulator', '--port', '0', '--auto-verify', 'abc']);
    expect(auto.code).toBe(2);
    expect(auto.stderr).toMatch(/--auto-verify "abc" is not a duration/);
    expect(auto.stderr).toMatch(/"off"/);
  });
});

describe('a local number (no country code)', () => {
  it('suggests the number with 62 only when that would be accepted, else says what is missing', async () => {
    // A whole local number: the suggestion is what the next run accepts.
    const whole = await runCli(['create', '--sandbox', '--no-wait', '--phone', '081234567890']);
    expect(whole.code).toBe(2);
    const suggested = /type --phone (\d+)/.exec(whole.stderr)?.[1];
    expect(suggested, whole.stderr).toBe('6281234567890');
    const retried = await runCli(['create', '--sandbox', '--no-wait', '--phone', suggested!]);
    expect(retried.code, retried.stderr).toBe(0);

    // A fragment: no suggestion that the next run would refuse, but what is missing.
    const short = await runCli(['create', '--sandbox', '--no-wait', '--phone', '0812']);
    expect(short.code).toBe(2);
    expect(short.stderr).not.toMatch(/--phone 62812\b/);
    expect(short.stderr).toContain('"0812" has no country code (it starts with 0), and it is too short to be a whole number.');
    expect(short.stderr).toContain('Type the whole number with its country code, e.g. --phone 6281234567890.');
  });
});

describe('--tunnel URL (your own tunnel) that does not reach this listener', () => {
  it('stops before creating the verification (exit 6) and names the port and path to forward to', async () => {
    const api = await start(new FakeApi().answer({ body: expiringIn(60_000) }));
    const port = await freePort();
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const r = await runCli(
      [
        'create',
        '--api-url',
        api.url,
        '--api-key',
        KEY,
        '--secret',
        'whsec_first_run_0123',
        '--phone',
        '6281234567890',
        '--port',
        String(port),
        '--tunnel',
        nowhere,
      ],
      { env: { SENDTALK_WEBHOOK_PATH: '/hooks/sendtalk' } },
    );
    expect(r.code, r.stderr).toBe(6);
    // On the wire: the API never saw a create request.
    expect(api.requests).toHaveLength(0);
    expect(r.stderr).not.toMatch(/Verification created|Waiting for the verified webhook/);
    expect(r.stderr).toContain(`The webhook URL ${nowhere}/hooks/sendtalk does not reach this listener: connection refused.`);
    expect(r.stderr).toContain(`Make ${nowhere} forward to 127.0.0.1:${port} (path /hooks/sendtalk), then run again; nothing was created.`);
  });
});

describe('sandbox advice is about the sandbox', () => {
  const dashboard = /Verification Config|dashboard/;

  it('a sandbox time-out points at SENDTALK_SANDBOX_DELAY, not at the dashboard', async () => {
    const r = await runCli(['create', '--sandbox', '--timeout', '500ms'], { env: { SENDTALK_SANDBOX_DELAY: '1m' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/SENDTALK_SANDBOX_DELAY/);
    expect(r.stderr).not.toMatch(dashboard);
  });

  it('a refused delivery in the sandbox says it did not come from the emulator, not to check the dashboard', async () => {
    const cli = startCli(['create', '--sandbox', '--timeout', '3s'], { env: { SENDTALK_SANDBOX_DELAY: '1m' } });
    const [, url] = await waitForOutput(cli.stderr, /Webhook listener on (\S+)/);
    await waitForOutput(cli.stderr, /Waiting for the verified webhook/);
    // Another sender (a trigger or curl run against the sandbox's listener) with a secret of its own.
    const sent = await fetch(url!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-secret-key': 'not-the-sandbox-secret' },
      body: '{"status":"verified"}',
    });
    expect(sent.status).toBe(401);
    const r = await cli.done;
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/Refused a delivery/);
    expect(r.stderr).toMatch(/emulator/);
    expect(r.stderr).not.toMatch(dashboard);
  });
});

describe('Ctrl-C with --json after the verification was created', () => {
  it("the JSON document carries the verification's id, link and phone beside the error", async () => {
    const cli = startCli(['create', '--sandbox', '--json'], { env: { SENDTALK_SANDBOX_DELAY: '1m' } });
    await waitForOutput(cli.stderr, /Waiting for the verified webhook/);
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.code).toBe(130);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ status: 'error', phone: '6281234567890', error: { category: 'interrupted', exitCode: 130 } });
    expect(doc.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(doc.link).toMatch(/^https:\/\/wa\.me\/\d+\?text=/);
  });
});

describe('grammar and repetition', () => {
  it('"an X-Secret-Key header", "a Secret-Key header": the article fits the header name', async () => {
    const x = await runCli(['trigger', '--url', `http://127.0.0.1:${await freePort()}/webhook`]);
    expect(x.stderr).toContain('the event goes without an X-Secret-Key header');
    const plain = await runCli(['trigger', '--url', `http://127.0.0.1:${await freePort()}/webhook`], { env: { SENDTALK_SECRET_HEADER: 'Secret-Key' } });
    expect(plain.stderr).toContain('the event goes without a Secret-Key header');
  });

  it("doctor names an unreachable API's address once, and counts failed checks in proper English", async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const one = await runCli(['doctor', '--api-url', `http://${address}`, '--api-key', KEY, '--secret', 'whsec_first_run_0123', '--tunnel', 'none']);
    expect(one.code).toBe(5);
    const apiRow = one.stdout.split('\n').find((line) => line.includes('API reachable'))!;
    expect(apiRow.split(address)).toHaveLength(2);
    expect(apiRow).toContain(`${address} refused the connection`);
    expect(one.stdout).toContain('✖ 1 check failed.');
    expect(one.stdout).not.toContain('check(s)');

    const two = await runCli(['doctor', '--api-url', `http://${address}`, '--api-key', KEY, '--tunnel', 'none']);
    expect(two.stdout).toContain('✖ 2 checks failed.');
  });

  it('trigger --check against a server that is down gives its advice once, not once per case', async () => {
    const r = await runCli(['trigger', '--url', `http://127.0.0.1:${await freePort()}/webhook`, '--check', '--secret', 'whsec_first_run_0123']);
    expect(r.code).toBe(5);
    expect(r.stdout.match(/No answer \(connection refused\)/g)).toHaveLength(1);
    expect(r.stdout).toMatch(/all 7 cases: No answer \(connection refused\): is the endpoint up, and is --url right\?/);
  });
});

describe('--qr-file with a format it cannot write', () => {
  it.for(['qr.jpg', 'qr.JPEG', 'qr.gif', 'qr.svg.txt'])('refuses %s with exit 2 before creating anything', async (name) => {
    const dir = await mkdtemp(join(tmpdir(), 'sendtalk-qr-ext-'));
    try {
      const api = await start(new FakeApi().answer({ body: expiringIn(60_000) }));
      const r = await runCli([
        'create',
        '--api-url',
        api.url,
        '--api-key',
        KEY,
        '--phone',
        '6281234567890',
        '--tunnel',
        'none',
        '--no-wait',
        '--qr-file',
        join(dir, name),
      ]);
      expect(r.code).toBe(2);
      expect(api.requests).toHaveLength(0);
      expect(r.stderr).toContain(`--qr-file ${join(dir, name)}: only .svg and .png files can be written`);
      expect(r.stderr).toMatch(/--qr-file qr\.svg or --qr-file qr\.png/);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('SENDTALK_SANDBOX_DELAY longer than the wait', () => {
  it('warns in one line, before the verification is created, when the delay outlasts --timeout', async () => {
    const r = await runCli(['create', '--sandbox', '--timeout', '500ms'], { env: { SENDTALK_SANDBOX_DELAY: '1m' } });
    expect(r.code).toBe(3);
    const warning = r.stderr.split('\n').filter((line) => line.includes('SENDTALK_SANDBOX_DELAY=1m is longer than'));
    expect(warning).toEqual(['⚠ SENDTALK_SANDBOX_DELAY=1m is longer than --timeout 500ms: the wait ends before the emulator delivers.']);
    expect(r.stderr.indexOf(warning[0]!)).toBeLessThan(r.stderr.indexOf('Verification created'));
    expect(r.stdout).not.toContain('SENDTALK_SANDBOX_DELAY');
  });

  it('warns when the delay outlasts the expiry; not when it fits, nor with --no-wait', async () => {
    const cli = startCli(['create', '--sandbox', '--expiry', '1'], { env: { SENDTALK_SANDBOX_DELAY: '2m' } });
    await waitForOutput(cli.stderr, /Waiting for the verified webhook/);
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.stderr).toContain('⚠ SENDTALK_SANDBOX_DELAY=2m is longer than the expiry (--expiry 1, 1m 00s): the wait ends before the emulator delivers.');

    const fits = await runCli(['create', '--sandbox', '--timeout', '20s'], { env: { SENDTALK_SANDBOX_DELAY: '100ms' } });
    expect(fits.code).toBe(0);
    expect(fits.stderr).not.toMatch(/is longer than/);
    const noWait = await runCli(['create', '--sandbox', '--timeout', '1s', '--no-wait'], { env: { SENDTALK_SANDBOX_DELAY: '1m' } });
    expect(noWait.stderr).not.toMatch(/is longer than/);
  });
});

describe('colours on stdout under GitHub Actions', () => {
  const COLOUR = /\u001b\[(3[0-9]|9[0-7]|1|2)m/;
  const actions = { NO_COLOR: undefined, GITHUB_ACTIONS: 'true', CI: 'true' };

  it('doctor writes its table to stdout without colour (stdout is not a terminal), unless FORCE_COLOR; NO_COLOR wins', async () => {
    const args = ['doctor', '--api-url', `http://127.0.0.1:${await freePort()}`, '--api-key', KEY, '--tunnel', 'none'];
    const plain = await runCli(args, { env: actions });
    expect(plain.stdout).toContain('API reachable');
    expect(plain.stdout).not.toMatch(COLOUR);
    const forced = await runCli(args, { env: { ...actions, FORCE_COLOR: '1' } });
    expect(forced.stdout).toMatch(COLOUR);
    const none = await runCli(args, { env: { ...actions, FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(none.stdout).not.toMatch(COLOUR);
  });

  it("create's result line on stdout follows the same rule; its progress on stderr keeps the log's colours", async () => {
    const r = await runCli(['create', '--sandbox'], { env: { ...actions, SENDTALK_SANDBOX_DELAY: '0' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✔ Verified/);
    expect(r.stdout).not.toMatch(COLOUR);
    expect(r.stderr).toMatch(COLOUR);
  });
});
