import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, verifiedPayload, type EmulatorHandle } from '../../src/emulator/emulator.js';
import { runCli, startCli } from '../helpers/cli.js';
import { LocaltunnelServer, sendThrough } from '../helpers/localtunnel-server.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

const KEY = 'st_live_TUNNEL_KEY_never_print_1200';
const SECRET = 'whsec_TUNNEL_CREATE_never_print_3391';
const PHONE = '6281234567890';
let server: LocaltunnelServer;
let emu: EmulatorHandle;
const children: Array<ReturnType<typeof startCli>> = [];

beforeEach(async () => {
  server = new LocaltunnelServer();
  await server.start();
  // The test plays SendTalk's webhook call itself, through the tunnel, so the emulator only creates.
  emu = await startEmulator({ apiKey: KEY, secret: SECRET, autoVerifyMs: false });
});

afterEach(async () => {
  for (const cli of children.splice(0)) {
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    await cli.done;
  }
  await emu.close();
  await server.stop();
});

describe('create through the localtunnel tunnel', () => {
  it('opens the tunnel, proves the webhook URL before creating, and is verified through it', async () => {
    const cli = startCli(['create', '--api-url', emu.url, '--api-key', KEY, '--secret', SECRET, '--phone', PHONE, '--json', '--timeout', '20s'], {
      env: { SENDTALK_SUBDOMAIN: 'acme-otp-create', SENDTALK_TUNNEL_HOST: server.url },
      killAfterMs: 30_000,
    });
    children.push(cli);
    await until(() => emu.verifications.size === 1, 'the verification', { timeoutMs: 15_000, detail: cli.stderr });
    const v = [...emu.verifications.values()][0]!;
    const webhookUrl = `http://acme-otp-create.localhost:${server.port}/webhook`;
    const res = await sendThrough(webhookUrl, {
      headers: { 'content-type': 'application/json', 'secret-key': SECRET },
      body: JSON.stringify(verifiedPayload(v)),
    });
    // A 200 back through the tunnel: the CLI must not close it before its answer is out.
    expect(res.status, res.body + cli.stderr()).toBe(200);
    // As TapTalk's own endpoints answer, with the "ok" promised before kept.
    expect(JSON.parse(res.body)).toEqual({ success: true, ok: true });

    const r = await cli.done;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'verified', id: v.id, webhookUrl, sandbox: false });
    expect(r.stderr).toContain(`Webhook URL: ${webhookUrl}`);
    // The probe went through the tunnel before the API was called.
    const probed = r.stderr.indexOf('The webhook URL reaches this listener');
    expect(probed).toBeGreaterThan(-1);
    expect(probed).toBeLessThan(r.stderr.indexOf('Verification created'));
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('exits 6 without calling the API when the tunnel cannot open', async () => {
    server.mode = 'refuse';
    const r = await runCli(['create', '--api-url', emu.url, '--api-key', KEY, '--secret', SECRET, '--phone', PHONE], {
      env: { SENDTALK_TUNNEL_TIMEOUT: '1s', SENDTALK_TUNNEL_HOST: server.url },
      killAfterMs: 15_000,
    });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/Could not open a tunnel/);
    expect(r.stderr).toMatch(/--tunnel URL/);
    expect(emu.verifications.size).toBe(0);
  });

  it('probes --tunnel URL (your own tunnel) too, and stops before creating when it does not reach the listener', async () => {
    const port = await freePort();
    const ownTunnel = startCli([
      'create',
      '--api-url',
      emu.url,
      '--api-key',
      KEY,
      '--secret',
      SECRET,
      '--phone',
      PHONE,
      '--port',
      String(port),
      '--tunnel',
      `http://127.0.0.1:${port}`,
      '--timeout',
      '300ms',
    ]);
    children.push(ownTunnel);
    const ok = await ownTunnel.done;
    expect(ok.code).toBe(3);
    expect(ok.stderr).toMatch(/The webhook URL reaches this listener/);

    // Missing the listener stops before the API is called: exit 6, and where the URL must forward to.
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const broken = await runCli([
      'create',
      '--api-url',
      emu.url,
      '--api-key',
      KEY,
      '--secret',
      SECRET,
      '--phone',
      PHONE,
      '--tunnel',
      nowhere,
      '--timeout',
      '300ms',
    ]);
    expect(broken.code).toBe(6);
    expect(broken.stderr).toContain(`The webhook URL ${nowhere}/webhook does not reach this listener: connection refused.`);
    expect(broken.stderr).toContain(`Pass --port 8787 and make ${nowhere} forward to 127.0.0.1:8787 (path /webhook)`);
    expect(emu.verifications.size).toBe(1);
  });
});
