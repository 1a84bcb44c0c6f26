import { describe, expect, it } from 'vitest';
import { runCreateFlow } from '../../src/flow/create-flow.js';
import type { PublicUrlProvider } from '../../src/tunnel/types.js';
import { emulatorsClosedAfterEach } from '../helpers/cleanup.js';

const startEmulator = emulatorsClosedAfterEach();
const SECRET = 'whsec-create-flow-0123456789';

/**
 * A tunnel stand-in: the emulator delivers straight to the listener, while the "public" URL is
 * whatever the test makes it; `reopen` changes it, as a localtunnel re-open under another name does.
 */
function fakeTunnel(emulator: Awaited<ReturnType<typeof startEmulator>>): { provider: PublicUrlProvider; reopen(url: string): void; closed: () => boolean } {
  let url = 'https://first-name.tunnel.test';
  let closed = false;
  return {
    provider: async (local) => {
      emulator.setWebhook({ url: `http://${local.host}:${local.port}${local.path}` });
      return {
        get url() {
          return url;
        },
        close: async () => {
          closed = true;
        },
      };
    },
    reopen(next) {
      url = next;
    },
    closed: () => closed,
  };
}

describe('runCreateFlow with a tunnel', () => {
  it('reports the webhook URL the tunnel has at the end, not the one it had at the start', async () => {
    const emulator = await startEmulator({ apiKey: 'k', secret: SECRET });
    const tunnel = fakeTunnel(emulator);
    const listening: string[] = [];
    const result = await runCreateFlow({
      phone: '6281234567890',
      apiUrl: emulator.url,
      apiKey: 'k',
      secret: SECRET,
      tunnel: { kind: 'provider', open: tunnel.provider },
      probe: false,
      drainMs: 0,
      timeoutMs: 10_000,
      onEvent: (event) => {
        if (event.type === 'listening') listening.push(event.webhookUrl);
        // The tunnel drops and comes back under another name while the verification waits.
        if (event.type === 'created') {
          tunnel.reopen('https://second-name.tunnel.test');
          void emulator.verify(event.verification.id);
        }
      },
    });
    expect(listening).toEqual(['https://first-name.tunnel.test/webhook']);
    expect(result).toMatchObject({ status: 'verified', webhookUrl: 'https://second-name.tunnel.test/webhook' });
    expect(tunnel.closed()).toBe(true);
  });
});
