import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTunnel } from '../../src/tunnel/open-tunnel.js';
import type { TunnelEvent, TunnelHandle } from '../../src/tunnel/types.js';
import { startListener, type Delivery, type ListenerHandle } from '../../src/webhook/listener.js';
import { LocaltunnelServer, sendThrough } from '../helpers/localtunnel-server.js';
import { until } from '../helpers/until.js';

let server: LocaltunnelServer;
let listener: ListenerHandle;
let tunnel: TunnelHandle | undefined;
let deliveries: Delivery[];
let events: TunnelEvent[];

beforeEach(async () => {
  server = new LocaltunnelServer();
  await server.start();
  deliveries = [];
  events = [];
  listener = await startListener({ onDelivery: (d) => deliveries.push(d) });
});

afterEach(async () => {
  await tunnel?.close();
  tunnel = undefined;
  await listener.close();
  await server.stop();
});

const waitFor = (predicate: () => boolean, what: string): Promise<boolean> =>
  until(predicate, what, { timeoutMs: 15_000, detail: () => `events: ${JSON.stringify(events)}` });

const open = (extra: Partial<Parameters<typeof openTunnel>[0]> = {}): Promise<TunnelHandle> =>
  openTunnel({
    port: listener.port,
    host: server.url,
    dropGraceMs: 200,
    reopenBackoff: { initialMs: 100, maxMs: 1000 },
    onEvent: (e) => events.push(e),
    ...extra,
  });

const post = (url: string): Promise<{ status: number }> => sendThrough(`${url}/webhook`, { headers: { 'content-type': 'application/json' }, body: '{"n":1}' });

describe('re-opening the tunnel with a real localtunnel client', () => {
  it('re-registers by itself after the server restarts, and carries deliveries again', async () => {
    tunnel = await open();
    const before = tunnel.url;
    expect((await post(before)).status).toBe(200);

    await server.restart();
    await waitFor(() => events.some((e) => e.type === 'reopened'), 'the tunnel to re-open');

    expect(events.find((e) => e.type === 'down')).toMatchObject({ url: before });
    // It asked for the name it had, which the restarted server could give back.
    expect(server.registrations.at(-1)).toEqual({ path: `/${new URL(before).hostname.split('.')[0]}`, id: tunnel.subdomain });
    expect(events.find((e) => e.type === 'reopened')).toEqual({ type: 'reopened', url: before, previousUrl: before, changed: false });
    expect((await post(tunnel.url)).status).toBe(200);
    expect(deliveries).toHaveLength(2);
  });

  it('re-registers when the server drops the client while staying up', async () => {
    tunnel = await open();
    server.dropClient(tunnel.subdomain);
    await waitFor(() => events.some((e) => e.type === 'reopened'), 'the tunnel to re-open');
    expect((await post(tunnel.url)).status).toBe(200);
  });

  it('announces a new URL when its name was taken meanwhile', async () => {
    tunnel = await open();
    const before = tunnel.url;
    const name = tunnel.subdomain;
    await server.stop();
    await waitFor(() => events.some((e) => e.type === 'down'), 'the drop');
    await server.start();
    // Someone else takes the name before this client is back.
    const squatter = await openTunnel({ port: listener.port, host: server.url, subdomain: name });
    try {
      await waitFor(() => events.some((e) => e.type === 'reopened'), 'the tunnel to re-open');
      const reopened = events.find((e) => e.type === 'reopened');
      expect(reopened).toMatchObject({ previousUrl: before, changed: true });
      expect(tunnel.url).not.toBe(before);
      expect((await post(tunnel.url)).status).toBe(200);
    } finally {
      await squatter.close();
    }
  });

  it('waits for a server that is down, then re-opens', async () => {
    tunnel = await open({ stillDownEveryMs: 300 });
    await server.stop();
    await waitFor(() => events.some((e) => e.type === 'still-down'), 'a still-down report');
    expect(events.some((e) => e.type === 'reopened')).toBe(false);
    await server.start();
    await waitFor(() => events.some((e) => e.type === 'reopened'), 'the tunnel to re-open');
    expect((await post(tunnel.url)).status).toBe(200);
  });
});
