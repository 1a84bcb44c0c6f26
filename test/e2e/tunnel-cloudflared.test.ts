import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, verifiedPayload, type EmulatorHandle } from '../../src/emulator/emulator.js';
import { urlIdentity } from '../../src/tunnel/remembered-url.js';
import { freshConfigHome, runCli, startCli } from '../helpers/cli.js';
import { LocaltunnelServer } from '../helpers/localtunnel-server.js';
import { until } from '../helpers/until.js';
import { alive } from '../helpers/cleanup.js';

/**
 * `--tunnel cloudflared` and `--tunnel auto` against a stand-in cloudflared (test/fixtures/
 * cloudflared-stub.mjs, named by CLOUDFLARED_BIN): it logs like a quick tunnel, forwards to the
 * listener through a loopback proxy, and records what it did (argv, when it printed the URL and
 * registered, each request it carried, the signals it got).
 */
const STUB = fileURLToPath(new URL('../fixtures/cloudflared-stub.mjs', import.meta.url));
// Any 8 characters of the key or the secret are masked wherever they appear (in any case): neither
// may share such a run with what the test reads (cloudflared, the stub's path, its URLs).
const KEY = 'st_live_QZX_key_never_print_4411';
const SECRET = 'whsec_QZX_never_print_7302';
const PHONE = '6281234567890';

interface Fact {
  event: 'start' | 'banner' | 'registered' | 'request' | 'signal';
  pid: number;
  at: number;
  argv?: string[];
  url?: string;
  signal?: string;
  registered?: boolean;
}

let emu: EmulatorHandle;
let record: string;
const children: Array<ReturnType<typeof startCli>> = [];

beforeEach(async () => {
  emu = await startEmulator({ apiKey: KEY, secret: SECRET, autoVerifyMs: false });
  record = join(mkdtempSync(join(tmpdir(), 'cf-stub-')), 'record.ndjson');
  writeFileSync(record, '');
});

afterEach(async () => {
  for (const cli of children.splice(0)) {
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    await cli.done;
  }
  for (const pid of new Set(facts().map((f) => f.pid))) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await emu.close();
});

const facts = (): Fact[] =>
  readFileSync(record, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Fact);
const stubEnv = (extra: Record<string, string> = {}): Record<string, string> => ({ CLOUDFLARED_BIN: STUB, CF_STUB_RECORD: record, ...extra });
const createArgs = (...more: string[]): string[] => ['create', '--api-url', emu.url, '--api-key', KEY, '--secret', SECRET, '--phone', PHONE, '--json', ...more];

/** Plays SendTalk: the verified webhook, through the URL the (last) stub printed. */
async function deliverThroughStub(): Promise<{ status: number; webhookUrl: string }> {
  await until(() => emu.verifications.size === 1, 'the verification', { timeoutMs: 15_000 });
  const banner = facts()
    .filter((f) => f.event === 'banner')
    .at(-1)!;
  const webhookUrl = `${banner.url}/webhook`;
  const v = [...emu.verifications.values()][0]!;
  const res = await fetch(webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-secret-key': SECRET },
    body: JSON.stringify(verifiedPayload(v)),
  });
  return { status: res.status, webhookUrl };
}

/** Every stub process that started is gone. */
async function allStubsGone(): Promise<void> {
  const pids = [...new Set(facts().map((f) => f.pid))];
  expect(pids.length).toBeGreaterThan(0);
  await until(() => pids.every((pid) => !alive(pid)), 'every cloudflared gone', { timeoutMs: 1000 });
}

describe('create --tunnel cloudflared', () => {
  it('waits for the registered line before it shows or probes the URL, is verified through it, and stops it', async () => {
    const cli = startCli(createArgs('--tunnel', 'cloudflared', '--timeout', '20s'), { env: stubEnv({ CF_STUB_REGISTER_MS: '1500' }), killAfterMs: 30_000 });
    children.push(cli);
    let urlShownAt = 0;
    cli.child.stderr!.on('data', () => {
      if (!urlShownAt && cli.stderr().includes('Webhook URL:')) urlShownAt = Date.now();
    });
    const { status, webhookUrl } = await deliverThroughStub();
    expect(status).toBe(200);
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'verified', webhookUrl, tunnel: 'cloudflared' });

    const [start, ...rest] = facts();
    expect(start!.argv).toEqual(['tunnel', '--no-autoupdate', '--url', expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/)]);
    const banner = rest.find((f) => f.event === 'banner')!;
    const registered = rest.find((f) => f.event === 'registered')!;
    const firstRequest = rest.find((f) => f.event === 'request')!;
    expect(registered.at - banner.at).toBeGreaterThanOrEqual(1400);
    // Neither the probe nor the printed URL came before the edge knew it.
    expect(firstRequest.registered).toBe(true);
    expect(firstRequest.at).toBeGreaterThanOrEqual(registered.at);
    expect(urlShownAt).toBeGreaterThanOrEqual(registered.at);
    expect(r.stderr).toMatch(/Tunnel: cloudflared 2024\.6\.1-stub \(.*cloudflared-stub\.mjs\) over quic/);
    expect(r.stderr).toMatch(/quick tunnel's URL is new on every run: update the dashboard each time/);
    expect(
      facts()
        .filter((f) => f.event === 'signal')
        .map((f) => f.signal),
    ).toEqual(['SIGTERM']);
    await allStubsGone();
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('restarts cloudflared with --protocol http2 when QUIC fails, and says so', async () => {
    const cli = startCli(createArgs('--tunnel', 'cloudflared', '--timeout', '20s'), { env: stubEnv({ CF_STUB_QUIC: 'fail' }), killAfterMs: 30_000 });
    children.push(cli);
    expect((await deliverThroughStub()).status).toBe(200);
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    const starts = facts().filter((f) => f.event === 'start');
    expect(starts.map((f) => f.argv!.slice(0, -1))).toEqual([
      ['tunnel', '--no-autoupdate', '--url'],
      ['tunnel', '--no-autoupdate', '--protocol', 'http2', '--url'],
    ]);
    expect(r.stderr).toMatch(
      /cloudflared could not connect over QUIC \(failed to dial to edge with quic.*\); UDP port 7844 may be blocked here: restarting it with --protocol http2/,
    );
    expect(r.stderr).toMatch(/over http2/);
    await allStubsGone();
  });

  it("exits 6 with cloudflared's last lines when it never registers, creating nothing and leaving no process", async () => {
    const r = await runCli(createArgs('--tunnel', 'cloudflared'), {
      env: stubEnv({ CF_STUB_NEVER_REGISTER: '1', SENDTALK_TUNNEL_TIMEOUT: '2s' }),
      killAfterMs: 15_000,
    });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/cloudflared did not register a quick tunnel within 1\.0 s over http2\. Its last lines:/);
    expect(r.stderr).toMatch(/ {4}.* ERR Unable to establish connection with Cloudflare edge/);
    expect(r.stderr).toMatch(/--tunnel URL/);
    expect(r.stderr).not.toContain('Webhook URL:');
    expect(facts().filter((f) => f.event === 'request')).toEqual([]);
    expect(emu.verifications.size).toBe(0);
    await allStubsGone();
  });

  it('stops cloudflared on Ctrl-C while waiting (exit 130)', async () => {
    const cli = startCli(createArgs('--tunnel', 'cloudflared', '--timeout', '20s'), { env: stubEnv(), killAfterMs: 30_000 });
    children.push(cli);
    await until(() => emu.verifications.size === 1, 'the verification', { timeoutMs: 15_000, detail: cli.stderr });
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.code).toBe(130);
    await allStubsGone();
  });

  it('kills a cloudflared that ignores SIGTERM', async () => {
    const r = await runCli(['listen', '--tunnel', 'cloudflared', '--secret', SECRET, '--timeout', '500ms'], {
      env: stubEnv({ CF_STUB_IGNORE_TERM: '1' }),
      killAfterMs: 20_000,
    });
    expect(r.code, r.stderr).toBe(3);
    expect(
      facts()
        .filter((f) => f.event === 'signal')
        .map((f) => f.signal),
    ).toEqual(['SIGTERM']);
    await allStubsGone();
  });
});

describe("a quick tunnel's URL, remembered like any other", () => {
  it('is new every run: the first run says so, the next says it CHANGED, each piece of advice once', async () => {
    const home = freshConfigHome();
    const run = (): Promise<Awaited<ReturnType<typeof runCli>>> =>
      runCli(createArgs('--tunnel', 'cloudflared', '--timeout', '500ms'), { env: stubEnv({ XDG_CONFIG_HOME: home }), killAfterMs: 20_000 });
    const count = (text: string, what: string): number => text.split(what).length - 1;

    const first = await run();
    expect(first.code, first.stderr).toBe(3);
    const one = JSON.parse(first.stdout) as { webhookUrl: string };
    expect(one).toMatchObject({ tunnel: 'cloudflared', webhookUrlChanged: false, previousWebhookUrl: null });
    expect(first.stderr).toContain(`Webhook URL: ${one.webhookUrl}`);
    expect(first.stderr).toMatch(/Set it in the SendTalk dashboard: WhatsApp Verification → Verification Config → Edit → Webhook URL → Save Changes/);
    expect(count(first.stderr, "quick tunnel's URL is new on every run: update the dashboard each time")).toBe(1);
    // Nothing that promises a URL that stays.
    expect(first.stderr).not.toMatch(/Set it once|Later runs get the same URL/);

    const second = await run();
    expect(second.code, second.stderr).toBe(3);
    const two = JSON.parse(second.stdout) as { webhookUrl: string };
    expect(two.webhookUrl).not.toBe(one.webhookUrl);
    expect(two).toMatchObject({ tunnel: 'cloudflared', webhookUrlChanged: true, previousWebhookUrl: one.webhookUrl });
    expect(second.stderr).toContain('The webhook URL CHANGED since the last run');
    expect(second.stderr).toContain(`was: ${one.webhookUrl}`);
    expect(second.stderr).toContain(`now: ${two.webhookUrl}`);
    for (const advice of [
      'paste the new URL → Save Changes',
      'Saving makes a NEW secret key',
      "quick tunnel's URL is new on every run: update the dashboard each time",
    ]) {
      expect(count(second.stderr, advice), advice).toBe(1);
    }
    expect(second.stderr).not.toMatch(/Set it in the SendTalk dashboard|Set it once|Later runs get the same URL|dashboard needs nothing/);
    await allStubsGone();
  });
});

describe('a missing cloudflared', () => {
  it('exits 6 saying how to install it or what to use instead', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-cloudflared-'));
    const r = await runCli(createArgs('--tunnel', 'cloudflared'), { env: { PATH: empty } });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/cloudflared is not installed: it is not on PATH, and CLOUDFLARED_BIN is not set\./);
    expect(r.stderr).toMatch(
      /Install cloudflared .*CLOUDFLARED_BIN.*this tool downloads nothing\. Or use --tunnel localtunnel, or your own tunnel with --tunnel URL/,
    );
    expect(emu.verifications.size).toBe(0);

    const named = await runCli(createArgs('--tunnel', 'cloudflared'), { env: { CLOUDFLARED_BIN: join(empty, 'cloudflared') } });
    expect(named.code).toBe(6);
    expect(named.stderr).toContain(`CLOUDFLARED_BIN names ${join(empty, 'cloudflared')}, which is not an executable file.`);
  });
});

describe('--tunnel auto (the default with a key)', () => {
  let server: LocaltunnelServer;
  beforeEach(async () => {
    server = new LocaltunnelServer();
    await server.start();
    server.mode = 'refuse';
  });
  afterEach(async () => server.stop());

  it('falls back to cloudflared when the localtunnel server refuses, and says which one it used', async () => {
    const cli = startCli(createArgs('--timeout', '20s'), {
      env: stubEnv({ SENDTALK_TUNNEL_HOST: server.url, SENDTALK_TUNNEL_TIMEOUT: '1s' }),
      killAfterMs: 30_000,
    });
    children.push(cli);
    expect((await deliverThroughStub()).status).toBe(200);
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'verified', tunnel: 'cloudflared' });
    // auto's localtunnel asked for the name derived from the key, as --tunnel localtunnel does.
    expect(server.registrations.length).toBeGreaterThan(0);
    expect(server.registrations.map((r) => r.path)).toContain(`/${urlIdentity(KEY).subdomain}`);
    expect(r.stderr).toMatch(
      /localtunnel could not open a tunnel \(Could not open a tunnel: .* did not register one within 1\.0 s.*\); trying cloudflared \(--tunnel auto\)/,
    );
    expect(r.stderr).toMatch(/Tunnel: cloudflared 2024\.6\.1-stub .* \(chosen by --tunnel auto\)/);
    await allStubsGone();
  });

  it("is listen's default too where a key is given (from the environment), and localtunnel's without one", async () => {
    const withKey = startCli(['listen', '--secret', SECRET, '--json', '--max-events', '1'], {
      env: { SENDTALK_TUNNEL_TIMEOUT: '1s', SENDTALK_TUNNEL_HOST: server.url, ...stubEnv(), SENDTALK_API_KEY: KEY },
      killAfterMs: 30_000,
    });
    children.push(withKey);
    await until(() => /"type":"ready"/.test(withKey.stdout()), 'listen ready', { timeoutMs: 20_000, detail: () => withKey.stderr() });
    const ready = JSON.parse(
      withKey
        .stdout()
        .split('\n')
        .find((line) => line.includes('"type":"ready"'))!,
    ) as { webhookUrl: string; tunnel: string };
    // stdout and stderr are two pipes: the ready line may be read before the stderr line written first.
    await until(() => /Tunnel: cloudflared/.test(withKey.stderr()), 'the tunnel line on stderr', { timeoutMs: 5_000, detail: () => withKey.stderr() });
    expect(withKey.stderr()).toMatch(/Tunnel: cloudflared .*\(chosen by --tunnel auto\)/);
    const res = await fetch(ready.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-secret-key': SECRET },
      body: '{"verificationID":"v-listen"}',
    });
    expect(res.status).toBe(200);
    expect((await withKey.done).code).toBe(0);
    await allStubsGone();
    // No key: localtunnel alone, which this refusing server never opens.
    const noKey = await runCli(['listen', '--secret', SECRET], {
      env: { SENDTALK_TUNNEL_TIMEOUT: '1s', ...stubEnv(), SENDTALK_TUNNEL_HOST: server.url },
      killAfterMs: 15_000,
    });
    expect(noKey.code).toBe(6);
    expect(noKey.stderr).not.toMatch(/trying cloudflared/);
  });

  it('exits 6 naming both when neither opens', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-cloudflared-'));
    const r = await runCli(createArgs(), { env: { PATH: empty, SENDTALK_TUNNEL_HOST: server.url, SENDTALK_TUNNEL_TIMEOUT: '1s' }, killAfterMs: 15_000 });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(
      /Could not open a tunnel with any provider:\n {2}localtunnel: Could not open a tunnel: .*\n {2}cloudflared: cloudflared is not installed/,
    );
    expect(emu.verifications.size).toBe(0);
  });
});

describe('doctor --tunnel cloudflared', () => {
  it('reports the binary and its version, and a signed delivery through the quick tunnel', async () => {
    const r = await runCli(['doctor', '--api-url', emu.url, '--api-key', KEY, '--secret', SECRET, '--tunnel', 'cloudflared', '--json'], {
      env: stubEnv(),
      killAfterMs: 20_000,
    });
    const checks = (JSON.parse(r.stdout) as { checks: Array<{ id: string; status: string; detail: string }> }).checks;
    expect(checks.find((c) => c.id === 'tunnel')).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+ via cloudflared 2024\.6\.1-stub \(.*cloudflared-stub\.mjs\) over quic in /),
    });
    expect(checks.find((c) => c.id === 'webhook')).toMatchObject({ status: 'pass' });
    await allStubsGone();

    const missing = await runCli(['doctor', '--api-url', emu.url, '--api-key', KEY, '--secret', SECRET, '--tunnel', 'cloudflared', '--json'], {
      env: { CLOUDFLARED_BIN: '/nonexistent/cloudflared' },
    });
    const rows = (JSON.parse(missing.stdout) as { checks: Array<{ id: string; status: string; detail: string; fix?: string }> }).checks;
    expect(rows.find((c) => c.id === 'tunnel')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('CLOUDFLARED_BIN names /nonexistent/cloudflared'),
      fix: expect.stringMatching(/CLOUDFLARED_BIN/),
    });
    expect(missing.code).toBe(5);
  });
});
