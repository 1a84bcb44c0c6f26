import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTunnel } from '../../src/tunnel/open-tunnel.js';
import type { TunnelEvent, TunnelHandle } from '../../src/tunnel/types.js';
import { startListener, type Delivery, type ListenerHandle } from '../../src/webhook/listener.js';
import { LocaltunnelServer, sendThrough } from '../helpers/localtunnel-server.js';
import { isListening } from '../helpers/ports.js';

/**
 * The local side of the tunnel goes away and comes back (the listener restarts on the same port,
 * as `--forward-to` apps and library users' servers do). The tunnel itself stays registered: the
 * localtunnel client retries its local connection every second, so a delivery sent meanwhile
 * waits in the tunnel and arrives once the port is back, or gets a gateway error from the tunnel
 * server if the port stays away longer than the server waits (and may still arrive late).
 */
let server: LocaltunnelServer;
let listener: ListenerHandle | undefined;
let tunnel: TunnelHandle | undefined;
let deliveries: Delivery[];
let events: TunnelEvent[];
let port: number;
const MAX_CONN = 3;

const start = async (): Promise<ListenerHandle> => {
  listener = await startListener({ port, onDelivery: (d) => deliveries.push(d) });
  port = listener.port;
  return listener;
};

beforeEach(async () => {
  server = new LocaltunnelServer({ proxyTimeoutMs: 1500, maxConnCount: MAX_CONN });
  await server.start();
  deliveries = [];
  events = [];
  port = 0;
  await start();
  tunnel = await openTunnel({ port, host: server.url, dropGraceMs: 300, onEvent: (e) => events.push(e) });
});

afterEach(async () => {
  await tunnel?.close();
  tunnel = undefined;
  await listener?.close();
  await server.stop();
});

/**
 * Closes the listener, and waits until the tunnel has replaced each of its connections (the
 * listener's close ended them) with one that waits on the refused port: a delivery sent before
 * that could land on a dying connection and fail differently.
 */
async function stopListener(): Promise<void> {
  const id = tunnel!.subdomain;
  const full = (): boolean => server.connections(id) === MAX_CONN;
  await server.until(full, 'the tunnel to have all its connections');
  const opened = server.connectionsOpened(id);
  await listener!.close();
  expect(await isListening(port)).toBe(false);
  await server.until(() => server.connectionsOpened(id) >= opened + MAX_CONN && full(), 'the tunnel to replace its connections');
}

const post = (id: string): Promise<{ status: number; body: string }> =>
  sendThrough(`${tunnel!.url}/webhook`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ verificationID: id }) });

describe('the local listener restarting behind an open tunnel', () => {
  it('holds a delivery sent while the port is gone, and hands it over once the listener is back', async () => {
    expect((await post('before')).status).toBe(200);
    await stopListener();

    const handed = server.handedOver;
    const during = post('during');
    // The delivery is inside the tunnel, waiting on the refused local port, before the listener is back.
    await server.until(() => server.handedOver > handed, 'the delivery to enter the tunnel');
    await start();
    expect((await during).status).toBe(200);
    expect((await post('after')).status).toBe(200);

    expect(deliveries.map((d) => d.verificationId)).toEqual(['before', 'during', 'after']);
    // The public URL never changed: no drop, no re-registration.
    expect(events.filter((e) => e.type === 'down' || e.type === 'reopened')).toEqual([]);
    expect(server.registrations).toHaveLength(1);
  });

  it('answers a gateway error while the port stays away, and delivers again once it is back', async () => {
    const url = tunnel!.url;
    await stopListener();
    const lost = await post('while-down');
    expect(lost).toMatchObject({ status: 504, body: expect.stringMatching(/no answer through the tunnel/) });
    expect(deliveries).toEqual([]);

    await start();
    // The tunnel's connections retry the local port every second: a few tries at most.
    let status = 0;
    for (let i = 0; i < 5 && status !== 200; i++) status = (await post(`back-${i}`)).status;
    expect(status).toBe(200);
    expect(deliveries.map((d) => d.verificationId)).toContainEqual(expect.stringMatching(/^back-/));
    // The tunnel server gave up on it, but its bytes were already inside the tunnel: they reach the
    // listener once it is back. The sender (told 504) retries, and the retry is a duplicate, which
    // the listener accepts and matching tolerates. Never more than once, never acknowledged as 200.
    expect(deliveries.filter((d) => d.verificationId === 'while-down').length).toBeLessThanOrEqual(1);
    expect(tunnel!.url).toBe(url);
    expect(server.registrations).toHaveLength(1);
  });
});
