import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/emulator.js';
import { freshConfigHome, startCli } from '../helpers/cli.js';
import { envelope, FakeApi } from '../helpers/fake-api.js';
import { killAll, startListen } from '../helpers/listen-process.js';
import { LocaltunnelServer } from '../helpers/localtunnel-server.js';

const KEY = 'st_live_STABLE_url_key_never_stored_5521';
const SECRET = 'whsec_STABLE_url_secret_never_stored_8830';
const PHONE = '6281234567890';
let server: LocaltunnelServer;
let emu: EmulatorHandle;
const apis: FakeApi[] = [];

beforeEach(async () => {
  server = new LocaltunnelServer();
  await server.start();
  emu = await startEmulator({ apiKey: KEY, secret: SECRET, autoVerifyMs: false });
});

afterEach(async () => {
  await killAll();
  for (const api of apis.splice(0)) await api.stop();
  await emu.close();
  await server.stop();
});

/** A real run with no SENDTALK_SUBDOMAIN, waiting only briefly (nothing delivers): exit 3 with the JSON document. */
function create(apiUrl: string, configHome: string): ReturnType<typeof startCli> {
  return startCli(['create', '--api-url', apiUrl, '--api-key', KEY, '--secret', SECRET, '--phone', PHONE, '--json', '--timeout', '500ms'], {
    env: { SENDTALK_TUNNEL_HOST: server.url, XDG_CONFIG_HOME: configHome },
    killAfterMs: 30_000,
  });
}

/** The server frees a name a moment after its client's last connection closes, as the real one does. */
async function nameFreed(): Promise<void> {
  await server.until(() => server.clientIds.length === 0, "the last run's name to be freed");
}

function stateFile(configHome: string): string {
  return join(configHome, 'sendtalk-verify', 'webhook-urls.json');
}

/** Neither secret, nor any 8 characters of either, in `text`. */
function expectNoSecretIn(text: string): void {
  for (const secret of [KEY, SECRET]) {
    for (let i = 0; i + 8 <= secret.length; i++) expect(text).not.toContain(secret.slice(i, i + 8));
  }
}

describe('the same webhook URL every run, with no configuration', () => {
  it('gives two runs with one key the same URL, says the dashboard needs nothing the second time, and shares it with listen', async () => {
    const home = freshConfigHome();
    const first = await create(emu.url, home).done;
    expect(first.code, first.stderr).toBe(3);
    const one = JSON.parse(first.stdout) as Record<string, unknown>;
    const url = one.webhookUrl as string;
    expect(url).toMatch(new RegExp(`^http://sendtalk-[a-z2-7]{10}\\.localhost:${server.port}/webhook$`));
    expect(one).toMatchObject({ webhookUrlChanged: false, previousWebhookUrl: null });
    expect(first.stderr).toMatch(/Set it once in the SendTalk dashboard: WhatsApp Verification → Verification Config → Edit → Webhook URL → Save Changes/);

    await nameFreed();
    const second = await create(emu.url, home).done;
    expect(second.code, second.stderr).toBe(3);
    expect(JSON.parse(second.stdout)).toMatchObject({ webhookUrl: url, webhookUrlChanged: false, previousWebhookUrl: url });
    expect(second.stderr).toContain('Same webhook URL as last time: the dashboard needs nothing.');
    expect(second.stderr).not.toMatch(/CHANGED/);
    const name = new URL(url).hostname.split('.')[0];
    expect(server.registrations.map((r) => r.path)).toEqual([`/${name}`, `/${name}`]);

    // listen reads the key from the environment only to name its tunnel: the URL to test is the one create uses.
    await nameFreed();
    const listen = startListen(['--json', '--timeout', '1s'], { env: { SENDTALK_TUNNEL_HOST: server.url, SENDTALK_API_KEY: KEY, XDG_CONFIG_HOME: home } });
    expect(await listen.line('ready')).toMatchObject({ webhookUrl: url, webhookUrlChanged: false, previousWebhookUrl: url });
    await listen.done;

    // What is kept: the URL, in a private file, and neither the key nor the secret.
    const dir = join(home, 'sendtalk-verify');
    expect(readdirSync(dir)).toEqual(['webhook-urls.json']);
    expect(statSync(stateFile(home)).mode & 0o777).toBe(0o600);
    const state = readFileSync(stateFile(home), 'utf8');
    expect(state).toContain(url);
    expectNoSecretIn(state);
  });

  it('says loudly that the URL changed, with the old and new URL and the dashboard steps, before the verification is created', async () => {
    const home = freshConfigHome();
    const api = await new FakeApi({ body: envelope({ id: 'ver_moved', waLink: `https://wa.me/${PHONE}?text=hi` }) }).start();
    apis.push(api);
    const first = await create(api.url, home).done;
    expect(first.code, first.stderr).toBe(3);
    const before = (JSON.parse(first.stdout) as { webhookUrl: string }).webhookUrl;

    // Someone else holds the name now (a crashed run's tunnel, a teammate with the same key): the
    // server gives this run another one, as loca.lt does.
    await nameFreed();
    const holder = startListen(['--json'], { env: { SENDTALK_TUNNEL_HOST: server.url, SENDTALK_API_KEY: KEY } });
    await holder.line('ready');
    const run = create(api.url, home);
    let stderrAtCreate: string | undefined;
    api.onRequest = () => {
      stderrAtCreate ??= run.stderr();
    };
    const r = await run.done;
    expect(r.code, r.stderr).toBe(3);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ webhookUrlChanged: true, previousWebhookUrl: before });
    expect(doc.webhookUrl).not.toBe(before);

    // All of it was on the screen when the create request reached the API.
    expect(stderrAtCreate).toBeDefined();
    expect(stderrAtCreate).toContain('The webhook URL CHANGED since the last run');
    expect(stderrAtCreate).toContain(`was: ${before}`);
    expect(stderrAtCreate).toContain(`now: ${doc.webhookUrl as string}`);
    expect(stderrAtCreate).toContain('WhatsApp Verification → Verification Config → Edit → Webhook URL → paste the new URL → Save Changes');
    expect(stderrAtCreate).toContain('Saving makes a NEW secret key: copy it into SENDTALK_WEBHOOK_SECRET');
    expect(r.stdout).not.toMatch(/CHANGED/);
    expectNoSecretIn(readFileSync(stateFile(home), 'utf8'));
  });

  it('runs on when the state file is corrupt or cannot be written, saying so in one line', async () => {
    const home = freshConfigHome();
    mkdirSync(join(home, 'sendtalk-verify'), { recursive: true });
    writeFileSync(stateFile(home), '{"urls": {"half a file');
    const r = await create(emu.url, home).done;
    expect(r.code, r.stderr).toBe(3);
    expect(emu.verifications.size).toBe(1);
    expect(r.stderr).toMatch(/The last webhook URL is not remembered: .*webhook-urls\.json is not what this tool writes/);
    // Replaced by a good one.
    expect(readFileSync(stateFile(home), 'utf8')).toContain((JSON.parse(r.stdout) as { webhookUrl: string }).webhookUrl);

    // A configuration "directory" that is a file: nothing can be read or written, the run goes on.
    await nameFreed();
    const notADir = join(home, 'sendtalk-verify', 'webhook-urls.json');
    const blocked = await create(emu.url, notADir).done;
    expect(blocked.code, blocked.stderr).toBe(3);
    expect(emu.verifications.size).toBe(2);
    expect(blocked.stderr).toMatch(/The last webhook URL is not remembered: could not read .*could not write/);
  });
});
