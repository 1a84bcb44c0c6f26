import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTunnel } from '../../src/tunnel/open-tunnel.js';
import { probePublicUrl, newProbeToken } from '../../src/tunnel/probe.js';
import type { TunnelEvent, TunnelHandle } from '../../src/tunnel/types.js';
import { startListener, type Delivery, type ListenerHandle } from '../../src/webhook/listener.js';
import { LocaltunnelServer, sendThrough } from '../helpers/localtunnel-server.js';

const SECRET = 'tunnel-secret-abcdef';
let server: LocaltunnelServer;
let listener: ListenerHandle;
let tunnel: TunnelHandle | undefined;
let deliveries: Delivery[];
let events: TunnelEvent[];
const token = newProbeToken();

beforeEach(async () => {
  server = new LocaltunnelServer();
  await server.start();
  deliveries = [];
  events = [];
  listener = await startListener({ secret: SECRET, probeToken: token, onDelivery: (d) => deliveries.push(d) });
});

afterEach(async () => {
  await tunnel?.close();
  tunnel = undefined;
  await listener.close();
  await server.stop();
});

const open = (extra: Partial<Parameters<typeof openTunnel>[0]> = {}): Promise<TunnelHandle> =>
  openTunnel({ port: listener.port, host: server.url, onEvent: (e) => events.push(e), ...extra });

describe('the tunnel through a localtunnel server', () => {
  it('carries a POST from the public URL to the listener, bytes unchanged', async () => {
    tunnel = await open();
    expect(tunnel.url).toMatch(/^http:\/\/t[0-9a-f]{10}\.localhost:\d+$/);
    expect(server.registrations).toEqual([{ path: '/?new', id: tunnel.subdomain }]);
    const body = JSON.stringify({ verificationID: 'v-1', userPhone: '6281234567890', note: 'héllo ✓' }, null, 1);
    const res = await sendThrough(`${tunnel.url}/webhook`, { headers: { 'secret-key': SECRET, 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ accepted: true, verificationId: 'v-1' });
    expect(deliveries[0]!.body.equals(Buffer.from(body))).toBe(true);
  });

  it('follows a redirect when registering, as localtunnel did', async () => {
    const redirector = createServer((req, res) => {
      res.writeHead(307, { location: `${server.url}${req.url}` }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    try {
      tunnel = await open({ host: `http://localhost:${(redirector.address() as AddressInfo).port}` });
      expect(server.registrations).toEqual([{ path: '/?new', id: tunnel.subdomain }]);
      const res = await sendThrough(`${tunnel.url}/webhook`, { headers: { 'secret-key': SECRET, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(200);
    } finally {
      redirector.closeAllConnections();
      await new Promise((resolve) => redirector.close(resolve));
    }
  });

  it('carries refusals back to the sender', async () => {
    tunnel = await open();
    const res = await sendThrough(`${tunnel.url}/webhook`, { headers: { 'secret-key': 'wrong', 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ reason: 'secret-mismatch' });
  });

  it('connects to the listener at 127.0.0.1, not at "localhost"', async () => {
    tunnel = await open();
    await sendThrough(`${tunnel.url}/webhook`, { headers: { 'secret-key': SECRET, 'content-type': 'application/json' }, body: '{}' });
    // localtunnel rewrites Host to the local_host it connects to: proof that it was given 127.0.0.1.
    expect(deliveries[0]!.headers.host).toBe('127.0.0.1');
  });

  it('proves the public URL reaches this listener with the probe, which is not a delivery', async () => {
    tunnel = await open();
    await expect(probePublicUrl(`${tunnel.url}/webhook`, token)).resolves.toMatchObject({ ok: true });
    expect(deliveries).toEqual([]);
    // Someone else's listener (another token) or a wrong path is not this listener.
    await expect(probePublicUrl(`${tunnel.url}/webhook`, newProbeToken())).resolves.toMatchObject({ ok: false, status: 405 });
    await expect(probePublicUrl(`${tunnel.url}/other`, token)).resolves.toMatchObject({
      ok: false,
      status: 404,
      reason: expect.stringMatching(/check the path/),
    });
    const port = new URL(tunnel.url).port;
    await expect(probePublicUrl(`http://nobody-here.localhost:${port}/webhook`, token)).resolves.toMatchObject({ ok: false, status: 404 });
  });

  it('gets the subdomain it asks for, and reports a replaced one', async () => {
    tunnel = await open({ subdomain: 'acme-otp-dev' });
    expect(tunnel.url).toBe(`http://acme-otp-dev.localhost:${server.port}`);
    expect(server.registrations[0]!.path).toBe('/acme-otp-dev');
    expect(events.filter((e) => e.type === 'subdomain-replaced')).toEqual([]);

    const second = await openTunnel({ port: listener.port, host: server.url, subdomain: 'acme-otp-dev', onEvent: (e) => events.push(e) });
    try {
      expect(second.subdomain).not.toBe('acme-otp-dev');
      expect(events.filter((e) => e.type === 'subdomain-replaced')).toEqual([
        { type: 'subdomain-replaced', requested: 'acme-otp-dev', assigned: second.subdomain, url: second.url },
      ]);
    } finally {
      await second.close();
    }
  });

  it('ends its connections to the server on close, and close is safe twice', async () => {
    tunnel = await open();
    const id = tunnel.subdomain;
    await server.until(() => server.connections(id) > 0, 'connections');
    await tunnel.close();
    await tunnel.close();
    await server.until(() => server.connections(id) === 0, 'connections to close');
  });

  // The built package ships no axios (the registration is ours), but a development install still
  // has localtunnel's: it must be the patched release package.json pins.
  it("installs localtunnel's axios at the patched version pinned in package.json overrides", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { overrides: { axios: string } };
    const fromLocaltunnel = createRequire(createRequire(import.meta.url).resolve('localtunnel'));
    const axios = JSON.parse(readFileSync(fromLocaltunnel.resolve('axios/package.json'), 'utf8')) as { version: string };
    expect(axios.version).toBe(pkg.overrides.axios);
    const [major, minor, patch] = axios.version.split('.').map(Number) as [number, number, number];
    const patched = major === 0 ? minor > 31 || (minor === 31 && patch >= 1) : major > 1 || minor > 13 || (minor === 13 && patch >= 5);
    expect(patched).toBe(true);
    expect(['0.30.4', '1.14.1']).not.toContain(axios.version);
  });
});
