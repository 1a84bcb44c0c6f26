import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exposeListener, tunnelChoiceOf, type ExposedListener, type TunnelUpdate } from '../../src/tunnel/expose-listener.js';
import type { PublicUrlProvider } from '../../src/tunnel/types.js';
import { openTunnel } from '../../src/tunnel/open-tunnel.js';
import { newProbeToken } from '../../src/tunnel/probe.js';
import { startListener, type Delivery, type ListenerHandle } from '../../src/webhook/listener.js';
import { checkAndRemember } from '../../src/tunnel/remembered-url.js';
import type { TunnelEvent } from '../../src/tunnel/types.js';
import { LocaltunnelServer, sendThrough } from '../helpers/localtunnel-server.js';
import { until } from '../helpers/until.js';

let server: LocaltunnelServer;
let listener: ListenerHandle;
let exposed: ExposedListener | undefined;
let deliveries: Delivery[];
let updates: TunnelUpdate[];
const probeToken = newProbeToken();

beforeEach(async () => {
  server = new LocaltunnelServer();
  await server.start();
  deliveries = [];
  updates = [];
  listener = await startListener({ probeToken, trackAnswers: true, onDelivery: (d) => deliveries.push(d) });
});

afterEach(async () => {
  await exposed?.close();
  exposed = undefined;
  await listener.close();
  await server.stop();
});

/** The real opener, with short drop detection so a drop is seen in a fraction of a second. */
const quickOpen: typeof openTunnel = (options) => openTunnel({ ...options, dropGraceMs: 200, reopenBackoff: { initialMs: 50, maxMs: 200 } });

const expose = (subdomain?: string): Promise<ExposedListener> =>
  exposeListener(
    listener,
    { kind: 'localtunnel', host: server.url, subdomain, timeoutMs: 10_000 },
    {
      probeToken,
      openTunnel: quickOpen,
      onEvent: (update) => updates.push(update),
    },
  );

const post = (url: string): Promise<{ status: number }> =>
  sendThrough(url, { headers: { 'content-type': 'application/json' }, body: '{"verificationID":"v-1"}' });

describe("tunnelChoiceOf: the one reading of the flows' `tunnel` option", () => {
  it('reads a name as that tunnel with its defaults, and nothing as none', () => {
    expect(tunnelChoiceOf(undefined)).toEqual({ kind: 'none' });
    expect(tunnelChoiceOf('none')).toEqual({ kind: 'none' });
    expect(tunnelChoiceOf('localtunnel')).toEqual({ kind: 'localtunnel' });
    expect(tunnelChoiceOf('cloudflared')).toEqual({ kind: 'cloudflared' });
    expect(tunnelChoiceOf('auto')).toEqual({ kind: 'auto', tries: [{ kind: 'localtunnel' }, { kind: 'cloudflared' }] });
  });

  it('keeps an object as given; auto without tries gets the default ones', () => {
    const own = { kind: 'public-url', publicUrl: 'https://abc.ngrok.app' } as const;
    expect(tunnelChoiceOf(own)).toBe(own);
    expect(tunnelChoiceOf({ kind: 'auto' })).toEqual({ kind: 'auto', tries: [{ kind: 'localtunnel' }, { kind: 'cloudflared' }] });
    expect(tunnelChoiceOf({ kind: 'auto', tries: [{ kind: 'cloudflared', bin: '/x' }] })).toEqual({
      kind: 'auto',
      tries: [{ kind: 'cloudflared', bin: '/x' }],
    });
  });
});

describe('exposeListener through a localtunnel server', () => {
  it('gives the public webhook URL, proves it reaches this listener, and carries deliveries', async () => {
    exposed = await expose('acme-otp-dev');
    expect(exposed.isPublic).toBe(true);
    expect(exposed.subdomain).toBe('acme-otp-dev');
    expect(exposed.publicBaseUrl()).toBe(`http://acme-otp-dev.localhost:${server.port}`);
    expect(exposed.webhookUrl()).toBe(`${`http://acme-otp-dev.localhost:${server.port}`}/webhook`);
    expect(await exposed.probe()).toMatchObject({ ok: true });
    expect((await post(exposed.webhookUrl())).status).toBe(200);
    expect(deliveries.map((d) => d.verificationId)).toEqual(['v-1']);
    await exposed.answerPassedOn(deliveries[0]!, 1000);
  });

  it('reports a drop and the re-opening as tunnel updates carrying the current webhook URL', async () => {
    exposed = await expose();
    const before = exposed.webhookUrl();
    server.dropClient(exposed.subdomain!);
    await server.until(() => updates.some((u) => u.event.type === 'reopened'), 'the tunnel to re-open');
    const kinds = updates.map((u) => u.event.type).filter((type) => type === 'down' || type === 'reopened');
    expect(kinds).toEqual(['down', 'reopened']);
    const reopened = updates.find((u) => u.event.type === 'reopened')!;
    expect(reopened).toMatchObject({ type: 'tunnel', webhookUrl: exposed.webhookUrl(), previousWebhookUrl: before });
    expect((await post(exposed.webhookUrl())).status).toBe(200);
  });

  it('says so when the server gives another subdomain than the one asked for', async () => {
    const squatter = await openTunnel({ port: listener.port, host: server.url, subdomain: 'taken-name' });
    try {
      exposed = await expose('taken-name');
      expect(exposed.subdomain).not.toBe('taken-name');
      const replaced = updates.find((u) => u.event.type === 'subdomain-replaced');
      expect(replaced).toMatchObject({ webhookUrl: exposed.webhookUrl(), event: { requested: 'taken-name', assigned: exposed.subdomain } });
    } finally {
      await squatter.close();
    }
  });

  it('closes the tunnel on close()', async () => {
    exposed = await expose();
    const id = exposed.subdomain!;
    await exposed.close();
    await server.until(() => server.connections(id) === 0, 'the tunnel connections to close');
    expect(server.connections(id)).toBe(0);
  });
});

describe('exposeListener without a tunnel of its own', () => {
  it('keeps the listener local with kind none', async () => {
    exposed = await exposeListener(listener, { kind: 'none' }, { probeToken });
    expect(exposed).toMatchObject({ isPublic: false });
    expect(exposed.webhookUrl()).toBe(listener.url);
    expect(exposed.publicBaseUrl()).toBeUndefined();
    expect(server.clientIds).toEqual([]);
  });

  it('joins the listener path to the public URL of your own tunnel, and probes through it', async () => {
    // The listener's own address stands in for a tunnel that forwards to it.
    const publicUrl = `http://127.0.0.1:${listener.port}`;
    exposed = await exposeListener(listener, { kind: 'public-url', publicUrl }, { probeToken });
    expect(exposed.isPublic).toBe(true);
    expect(exposed.webhookUrl()).toBe(`${publicUrl}/webhook`);
    expect(await exposed.probe()).toMatchObject({ ok: true });
    expect(server.clientIds).toEqual([]);
  });

  it('tells a listener with another probe token from this one', async () => {
    const other = await startListener({ probeToken: newProbeToken() });
    try {
      exposed = await exposeListener(listener, { kind: 'public-url', publicUrl: `http://127.0.0.1:${other.port}` }, { probeToken });
      expect(await exposed.probe()).toMatchObject({ ok: false });
    } finally {
      await other.close();
    }
  });
});

describe('exposeListener remembering the public webhook URL', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const memoryDir = (): { dir: string; key: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'stv-expose-memory-'));
    dirs.push(dir);
    return { dir: join(dir, 'sendtalk-verify'), key: 'test-key-hash' };
  };
  const remembered = (memory: { dir: string }): string | undefined => {
    try {
      return (JSON.parse(readFileSync(join(memory.dir, 'webhook-urls.json'), 'utf8')) as { urls: Record<string, { webhookUrl: string }> }).urls['test-key-hash']
        ?.webhookUrl;
    } catch {
      return undefined;
    }
  };

  /** A cloudflared-like provider whose URL is new on each (re)start; `restart()` plays cloudflared ending and coming back. */
  function quickTunnel(): { open: PublicUrlProvider; restart(): void } {
    let url = 'https://first-quick-words.trycloudflare.com';
    let report: ((event: TunnelEvent) => void) | undefined;
    return {
      open: async (_local, _signal, onEvent) => {
        report = onEvent;
        return {
          get url() {
            return url;
          },
          via: 'cloudflared 2024.6.1 (test) over quic',
          close: async () => {},
        };
      },
      restart: () => {
        const previousUrl = url;
        url = 'https://second-quick-words.trycloudflare.com';
        report?.({ type: 'reopened', url, previousUrl, changed: true });
      },
    };
  }

  it("compares a provider's URL with the last run's, and remembers the new URL it re-opens under", async () => {
    const memory = memoryDir();
    const tunnel = quickTunnel();
    exposed = await exposeListener(
      listener,
      { kind: 'provider', name: 'cloudflared', open: tunnel.open },
      { probeToken, memory, onEvent: (u) => updates.push(u) },
    );
    expect(exposed).toMatchObject({ provider: 'cloudflared', via: 'cloudflared 2024.6.1 (test) over quic', remembered: { change: 'first' } });
    expect(remembered(memory)).toBe('https://first-quick-words.trycloudflare.com/webhook');

    tunnel.restart();
    await until(() => remembered(memory) === 'https://second-quick-words.trycloudflare.com/webhook', 'the re-opened URL to be remembered');
    expect(updates.find((u) => u.event.type === 'reopened')).toMatchObject({
      webhookUrl: exposed.webhookUrl(),
      previousWebhookUrl: 'https://first-quick-words.trycloudflare.com/webhook',
    });
    // The next run compares with the URL the user was last told about.
    expect(await checkAndRemember(memory, exposed.webhookUrl())).toMatchObject({ change: 'same' });
  });

  it('with auto, remembers the URL of whichever provider opened', async () => {
    const memory = memoryDir();
    await checkAndRemember(memory, `http://sendtalk-abcdefghij.localhost:${server.port}/webhook`);
    server.mode = 'refuse';
    const tunnel = quickTunnel();
    exposed = await exposeListener(
      listener,
      {
        kind: 'auto',
        tries: [
          { kind: 'localtunnel', host: server.url, subdomain: 'sendtalk-abcdefghij', timeoutMs: 1000 },
          { kind: 'provider', name: 'cloudflared', open: tunnel.open },
        ],
      },
      { probeToken, memory, openTunnel: quickOpen, onEvent: (u) => updates.push(u) },
    );
    expect(server.registrations.map((r) => r.path)).toContain('/sendtalk-abcdefghij');
    expect(updates.map((u) => u.event)).toContainEqual(expect.objectContaining({ type: 'fallback', what: 'provider', from: 'localtunnel', to: 'cloudflared' }));
    expect(exposed).toMatchObject({
      provider: 'cloudflared',
      remembered: { change: 'changed', previousWebhookUrl: `http://sendtalk-abcdefghij.localhost:${server.port}/webhook` },
    });
    expect(remembered(memory)).toBe('https://first-quick-words.trycloudflare.com/webhook');
  });
});
