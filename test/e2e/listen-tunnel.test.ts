import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, waitForOutput } from '../helpers/cli.js';
import { killAll, startListen } from '../helpers/listen-process.js';
import { LocaltunnelServer, sendThrough } from '../helpers/localtunnel-server.js';

const SECRET = 'whsec_TUNNEL_never_print_9034';
const good = { 'content-type': 'application/json', 'secret-key': SECRET };
let server: LocaltunnelServer;

beforeEach(async () => {
  server = new LocaltunnelServer();
  await server.start();
});

afterEach(async () => {
  await killAll();
  await server.stop();
});

describe('listen through a localtunnel server', () => {
  it('prints the public webhookUrl first, proves it end to end, and receives a POST sent through it', async () => {
    const proc = startListen(['--secret', SECRET, '--json'], { env: { SENDTALK_TUNNEL_HOST: server.url } });
    const ready = await proc.line('ready');
    expect(proc.lines()[0]).toEqual(ready);
    const id = server.registrations[0]!.id!;
    expect(ready).toMatchObject({ type: 'ready', webhookUrl: `http://${id}.localhost:${server.port}/webhook`, tunnel: 'localtunnel', subdomain: id });
    expect(ready.localUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhook$/);

    expect(await proc.line('probe')).toMatchObject({ type: 'probe', ok: true, webhookUrl: ready.webhookUrl });
    const res = await sendThrough(ready.webhookUrl as string, { headers: good, body: '{"verificationID":"v-1"}' });
    expect(res.status).toBe(200);
    expect(await proc.line('delivery')).toMatchObject({ status: 200, accepted: true, verificationId: 'v-1', path: '/webhook' });
    // The probe is not a delivery.
    expect(proc.lines().filter((l) => l.type === 'delivery')).toHaveLength(1);

    proc.child.kill('SIGINT');
    expect((await proc.done).code).toBe(130);
    await server.until(() => server.connections(id) === 0, 'the CLI to close its tunnel connections');
    expect(proc.stdout() + proc.stderr()).not.toContain(SECRET);
  });

  it('re-opens by itself after the server restarts on the same port, with a new webhookUrl line', async () => {
    const proc = startListen(['--secret', SECRET, '--json'], { env: { SENDTALK_TUNNEL_HOST: server.url } });
    const ready = await proc.line('ready');
    await proc.line('probe');

    await server.restart();
    expect(await proc.line('tunnel-down')).toMatchObject({ reason: 'lost every connection to the tunnel server' });
    const reopened = await proc.line('tunnel-reopened', 1, 30_000);
    expect(reopened).toMatchObject({ webhookUrl: ready.webhookUrl, previousWebhookUrl: ready.webhookUrl, changed: false });
    expect(proc.stderr()).toMatch(/The tunnel re-opened at the same URL/);

    const res = await sendThrough(reopened.webhookUrl as string, { headers: good, body: '{"verificationID":"after-restart"}' });
    expect(res.status).toBe(200);
    expect(await proc.line('delivery')).toMatchObject({ verificationId: 'after-restart' });
  });

  it('tells people where to set the URL, and warns when the subdomain asked for was given to someone else', async () => {
    const first = startListen(['--tunnel', 'localtunnel', '--json'], { env: { SENDTALK_SUBDOMAIN: 'acme-otp-e2e', SENDTALK_TUNNEL_HOST: server.url } });
    expect(await first.line('ready')).toMatchObject({ subdomain: 'acme-otp-e2e', webhookUrl: `http://acme-otp-e2e.localhost:${server.port}/webhook` });
    const second = startListen(['--json'], { env: { SENDTALK_SUBDOMAIN: 'acme-otp-e2e', SENDTALK_TUNNEL_HOST: server.url } });
    const replaced = await second.line('tunnel-subdomain-replaced');
    expect(second.lines()[0]!.type).toBe('ready');
    expect(replaced).toMatchObject({ requested: 'acme-otp-e2e', assigned: expect.stringMatching(/^t[0-9a-f]+$/), webhookUrl: second.lines()[0]!.webhookUrl });

    const proc = startListen(['--secret', SECRET], { env: { SENDTALK_SUBDOMAIN: 'acme-otp-e2e', SENDTALK_TUNNEL_HOST: server.url } });
    await waitForOutput(proc.stderr, /reaches this listener/);
    const err = proc.stderr();
    expect(err).toMatch(/The tunnel server gave the subdomain "t[0-9a-f]+" instead of "acme-otp-e2e"/);
    expect(err).toMatch(new RegExp(`Webhook URL: http://t[0-9a-f]+\\.localhost:${server.port}/webhook`));
    expect(err).toMatch(/Set it once in the SendTalk dashboard: WhatsApp Verification → Verification Config → Edit → Webhook URL → Save Changes/);
    expect(server.registrations.map((r) => r.path)).toEqual(['/acme-otp-e2e', '/acme-otp-e2e', '/acme-otp-e2e']);
  });

  it('answers the last delivery through the tunnel before --max-events ends it', async () => {
    const proc = startListen(['--secret', SECRET, '--max-events', '1', '--json'], { env: { SENDTALK_TUNNEL_HOST: server.url } });
    const ready = await proc.line('ready');
    const res = await sendThrough(ready.webhookUrl as string, { headers: good, body: '{"verificationID":"last"}' });
    expect(res.status, res.body).toBe(200);
    expect((await proc.done).code).toBe(0);
    expect(proc.lines().at(-1)).toMatchObject({ type: 'done', reason: 'max-events', accepted: 1 });
  });

  it('exits 6 in bounded time when the server refuses to register, naming SENDTALK_TUNNEL_HOST and --tunnel URL', async () => {
    server.mode = 'refuse';
    const r = await runCli(['listen', '--json'], { env: { SENDTALK_TUNNEL_TIMEOUT: '1s', SENDTALK_TUNNEL_HOST: server.url }, killAfterMs: 15_000 });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(
      /Could not open a tunnel: http:\/\/localhost:\d+ did not register one within 1\.0 s \(it answered HTTP 503: tunnel server is refusing new clients \(test\)\)/,
    );
    expect(r.stderr).toMatch(/SENDTALK_TUNNEL_HOST/);
    expect(r.stderr).toMatch(/--tunnel URL/);
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'error', error: { category: 'tunnel', exitCode: 6 } });
  });

  it('exits 6 in bounded time when the registration is never answered', async () => {
    server.mode = 'hang';
    const r = await runCli(['listen'], { env: { SENDTALK_TUNNEL_TIMEOUT: '1s', SENDTALK_TUNNEL_HOST: server.url }, killAfterMs: 15_000 });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/did not register one within 1\.0 s \(no answer within 500 ms\)/);
  });
});
