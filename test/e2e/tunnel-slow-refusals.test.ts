import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { killAll, startListen } from '../helpers/listen-process.js';
import { LocaltunnelServer, sendThrough } from '../helpers/localtunnel-server.js';

/**
 * Anyone who learns the public URL can send slow, unauthenticated POSTs through the tunnel, whose
 * server has only a few connections to this machine. Each is refused at once and its connection
 * cut after a short drain, so real deliveries still get through.
 */
const SECRET = 'whsec_SLOWREFUSAL_9d2k4q7x';
let server: LocaltunnelServer;
const slow: Socket[] = [];

beforeEach(async () => {
  // The server waits as long as a public request takes: only the listener can free its connections.
  server = new LocaltunnelServer({ maxConnCount: 3, proxyTimeoutMs: 60_000 });
  await server.start();
});

afterEach(async () => {
  for (const socket of slow.splice(0)) socket.destroy();
  await killAll();
  await server.stop();
});

/** A POST to the public URL that declares a body it sends one byte of, then nothing. */
function slowPost(publicUrl: string): Socket {
  const url = new URL(publicUrl);
  const socket = connect(Number(url.port), '127.0.0.1');
  socket.on('error', () => {});
  socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{`);
  slow.push(socket);
  return socket;
}

describe('slow refused senders through the tunnel', () => {
  it('do not hold its connections: a real delivery right after six of them is accepted', async () => {
    const proc = startListen(['--tunnel', 'localtunnel', '--secret', SECRET, '--json'], { env: { SENDTALK_TUNNEL_HOST: server.url } });
    const ready = await proc.line('ready');
    await proc.line('probe');
    const webhookUrl = ready.webhookUrl as string;
    for (let i = 0; i < 6; i++) slowPost(webhookUrl);
    // The first three, as many as the tunnel has connections, refused while still sending.
    await proc.line('delivery', 3, 20_000);
    // A webhook sender gives up after some seconds (TapTalk's expect a fast answer) and retries a
    // limited number of times: 10 s here, where held connections would take 30 s to free.
    const real = await Promise.race([
      sendThrough(webhookUrl, { headers: { 'content-type': 'application/json', 'secret-key': SECRET }, body: '{"verificationID":"v-real"}' }),
      new Promise<{ status: string }>((resolve) => setTimeout(() => resolve({ status: 'gave up after 10 s' }), 10_000).unref()),
    ]);
    expect(real.status).toBe(200);
    const deliveries = proc.lines().filter((l) => l.type === 'delivery');
    expect(deliveries.filter((d) => d.status === 401).length).toBeGreaterThanOrEqual(3);
    expect(deliveries.filter((d) => d.status === 200)).toMatchObject([{ verificationId: 'v-real' }]);
  });
});
