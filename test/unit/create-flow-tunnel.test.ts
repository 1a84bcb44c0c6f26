import { describe, expect, it } from 'vitest';
import { runCreateFlow, type CreateFlowEvent } from '../../src/flow/create-flow.js';
import { openTunnel } from '../../src/tunnel/open-tunnel.js';
import { cleanupAfterEach, emulatorsClosedAfterEach, serversStoppedAfterEach } from '../helpers/cleanup.js';
import { LocaltunnelServer } from '../helpers/localtunnel-server.js';

const startEmulator = emulatorsClosedAfterEach();
const startServer = serversStoppedAfterEach();
const defer = cleanupAfterEach();
const SECRET = 'whsec-create-flow-tunnel-0123456789';

describe('runCreateFlow with a localtunnel TunnelChoice', () => {
  it('opens the tunnel itself and reports its events as flow events, a replaced subdomain before listening', async () => {
    const server = await startServer(new LocaltunnelServer());
    // Someone else already holds the name asked for, so the server hands out another one.
    const squatter = await openTunnel({ port: 1, host: server.url, subdomain: 'acme-create-name' });
    defer(() => squatter.close());
    const emulator = await startEmulator({ apiKey: 'k', secret: SECRET });
    const events: CreateFlowEvent[] = [];
    const result = await runCreateFlow({
      phone: '6281234567890',
      apiUrl: emulator.url,
      apiKey: 'k',
      secret: SECRET,
      tunnel: { kind: 'localtunnel', host: server.url, subdomain: 'acme-create-name', timeoutMs: 10_000 },
      drainMs: 1000,
      timeoutMs: 10_000,
      onEvent: (event) => {
        events.push(event);
        // The emulator delivers on loopback; the tunnel is what the flow reports and probes.
        if (event.type === 'listening') emulator.setWebhook({ url: event.localUrl });
        if (event.type === 'created') void emulator.verify(event.verification.id);
      },
    });
    const assigned = server.clientIds.find((id) => id !== 'acme-create-name');
    const webhookUrl = `http://${assigned}.localhost:${server.port}/webhook`;
    // Requests through the tunnel (the probe's, the delivery's) are reported too, for --debug: set aside here.
    const shown = events.filter((e) => !(e.type === 'tunnel' && (e.event.type === 'request' || e.event.type === 'error')));
    expect(shown.map((e) => e.type).slice(0, 4)).toEqual(['tunnel', 'listening', 'probe', 'created']);
    expect(shown[0]).toMatchObject({ type: 'tunnel', webhookUrl, event: { type: 'subdomain-replaced', requested: 'acme-create-name', assigned } });
    expect(shown[1]).toMatchObject({ type: 'listening', webhookUrl, public: true });
    expect(shown[2]).toMatchObject({ type: 'probe', result: { ok: true } });
    expect(result).toMatchObject({ status: 'verified', webhookUrl });
    // The flow closes the tunnel it opened.
    await server.until(() => server.connections(assigned!) === 0, 'the tunnel to close');
  });
});
