import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SendtalkVerifyError } from '../../src/errors.js';
import { runListenFlow, type ListenFlowEvent, type ListenFlowOptions, type ListenResult } from '../../src/flow/listen-flow.js';
import type { PublicUrl } from '../../src/tunnel/types.js';
import { openTunnel } from '../../src/tunnel/open-tunnel.js';
import { cleanupAfterEach, serversStoppedAfterEach } from '../helpers/cleanup.js';
import { LocaltunnelServer } from '../helpers/localtunnel-server.js';
import { send } from '../helpers/listen-process.js';
import { freePort, isListening } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

const defer = cleanupAfterEach();
const SECRET = 'whsec-listen-flow-0123456789';
const BODY = JSON.stringify({ verificationId: 'v-1', phone: '6281234567890', status: 'verified' });

interface Running {
  flow: Promise<ListenResult>;
  events: ListenFlowEvent[];
  localUrl: string;
  stop: AbortController;
}

/** Starts the flow and resolves once it waits for deliveries (everything up and probed). */
async function startFlow(options: ListenFlowOptions): Promise<Running> {
  const stop = new AbortController();
  const events: ListenFlowEvent[] = [];
  let localUrl = '';
  let waiting!: () => void;
  const isWaiting = new Promise<void>((resolve) => {
    waiting = resolve;
  });
  const flow = runListenFlow({
    signal: stop.signal,
    ...options,
    onEvent: (event) => {
      events.push(event);
      if (event.type === 'ready') localUrl = event.localUrl;
      if (event.type === 'waiting') waiting();
    },
  });
  flow.catch(() => {});
  defer(async () => {
    stop.abort();
    await flow.catch(() => {});
  });
  await Promise.race([
    isWaiting,
    flow.then(() => {
      throw new Error('the flow ended before waiting');
    }),
  ]);
  return { flow, events, localUrl, stop };
}

const deliver = (url: string, secret = SECRET, body = BODY): ReturnType<typeof send> =>
  send(url, { headers: { 'content-type': 'application/json', 'x-secret-key': secret }, body });

const typesOf = (events: ListenFlowEvent[]): string[] => events.map((e) => e.type);

/** A local app for --forward-to: records each request; answers 202, or holds an answer until released. */
async function startApp(): Promise<{ url: string; received: Array<{ headers: IncomingMessage['headers']; body: string }>; hold(): void; release(): void }> {
  const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
  let holding = false;
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req
      .setEncoding('utf8')
      .on('data', (c: string) => {
        body += c;
      })
      .on('end', () => {
        received.push({ headers: req.headers, body });
        if (holding) held.push(res);
        else res.writeHead(202).end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  defer(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const res of held.splice(0)) res.writeHead(202).end();
    },
  };
}

describe('runListenFlow: how listening ends and what the result says', () => {
  it('ends at max-events with every delivery counted and no diagnosis', async () => {
    const { flow, events, localUrl } = await startFlow({ secret: SECRET, maxEvents: 2, timeoutMs: 20_000 });
    expect(localUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhook$/);
    expect((await deliver(localUrl, 'wrong-secret')).status).toBe(401);
    expect((await deliver(localUrl)).status).toBe(200);
    expect((await deliver(localUrl)).status).toBe(200);
    const result = await flow;
    expect(result).toEqual({
      reason: 'max-events',
      accepted: 2,
      refused: 1,
      deliveries: { received: 3, matched: 2, otherVerification: 0, others: [], refused: 1, refusedBy: { 'secret-mismatch': 1 }, secretLocations: [] },
      webhookUrl: localUrl,
      localUrl,
    });
    expect(typesOf(events)).toEqual(['ready', 'waiting', 'delivery', 'delivery', 'delivery']);
    expect(events[0]).toEqual({ type: 'ready', localUrl, webhookUrl: localUrl, public: false, subdomain: undefined, provider: 'none' });
    const deliveries = events.filter((e) => e.type === 'delivery');
    expect(deliveries.map((e) => [e.delivery.accepted, e.delivery.reason, e.forward])).toEqual([
      [false, 'secret-mismatch', undefined],
      [true, undefined, undefined],
      [true, undefined, undefined],
    ]);
    // Closed at the end.
    expect(await isListening(Number(new URL(localUrl).port))).toBe(false);
  });

  it('ends at max-events 1 on the first accepted delivery', async () => {
    const { flow, localUrl } = await startFlow({ maxEvents: 1, timeoutMs: 20_000 });
    expect((await deliver(localUrl, '')).status).toBe(200);
    expect(await flow).toMatchObject({ reason: 'max-events', accepted: 1, refused: 0 });
  });

  it('times out short of max-events: says how many of how many arrived', async () => {
    const { flow, localUrl } = await startFlow({ secret: SECRET, maxEvents: 2, timeoutMs: 1500 });
    expect((await deliver(localUrl)).status).toBe(200);
    const result = await flow;
    expect(result).toMatchObject({ reason: 'timeout', accepted: 1, refused: 0 });
    expect(result.diagnosis).toEqual({
      cause: 'Only 1 of 2 deliveries arrived',
      hint: 'Each verification sends one webhook: send one message per verification waited for; --timeout waits longer.',
    });
  });

  it('times out with max-events reached by none of them, no max-events: no delivery at all, and the listener is local', async () => {
    const { flow, localUrl } = await startFlow({ timeoutMs: 200 });
    const result = await flow;
    expect(result).toEqual({
      reason: 'timeout',
      accepted: 0,
      refused: 0,
      deliveries: { received: 0, matched: 0, otherVerification: 0, others: [], refused: 0, refusedBy: {}, secretLocations: [] },
      diagnosis: {
        cause: 'No delivery arrived',
        hint: 'The listener is local (--tunnel none): SendTalk cannot reach it; drop --tunnel none or pass the URL of your own tunnel to --tunnel; --timeout waits longer.',
      },
      webhookUrl: localUrl,
      localUrl,
    });
  });

  it('times out after enough accepted deliveries without max-events: no diagnosis', async () => {
    const { flow, localUrl } = await startFlow({ timeoutMs: 800 });
    expect((await deliver(localUrl, '')).status).toBe(200);
    const result = await flow;
    expect(result).toMatchObject({ reason: 'timeout', accepted: 1 });
    expect(result).not.toHaveProperty('diagnosis');
  });

  it('interrupted with refusals only: says why they were refused', async () => {
    const { flow, localUrl, stop } = await startFlow({ secret: SECRET, timeoutMs: 20_000 });
    expect((await deliver(localUrl, 'wrong-secret')).status).toBe(401);
    stop.abort();
    const result = await flow;
    expect(result).toMatchObject({ reason: 'interrupted', accepted: 0, refused: 1 });
    expect(result.diagnosis?.cause).toBe('1 delivery arrived and was refused: secret key is invalid');
  });

  it('interrupted with nothing, or short of max-events: no diagnosis', async () => {
    const first = await startFlow({ timeoutMs: 20_000 });
    first.stop.abort();
    const nothing = await first.flow;
    expect(nothing).toMatchObject({ reason: 'interrupted', accepted: 0, refused: 0 });
    expect(nothing).not.toHaveProperty('diagnosis');

    const second = await startFlow({ maxEvents: 2, timeoutMs: 20_000 });
    expect((await deliver(second.localUrl, '')).status).toBe(200);
    second.stop.abort();
    const short = await second.flow;
    expect(short).toMatchObject({ reason: 'interrupted', accepted: 1 });
    expect(short).not.toHaveProperty('diagnosis');
  });

  it('a signal aborted before it waits ends it as interrupted at once', async () => {
    const stop = new AbortController();
    stop.abort();
    const result = await runListenFlow({ signal: stop.signal, timeoutMs: 5000 });
    expect(result).toMatchObject({ reason: 'interrupted', accepted: 0 });
  });

  it('counts a delivery still being answered when max-events was reached', async () => {
    const app = await startApp();
    const { flow, localUrl } = await startFlow({ maxEvents: 1, forwardTo: app.url, timeoutMs: 20_000 });
    app.hold();
    const first = deliver(localUrl, '');
    const second = deliver(localUrl, '');
    await until(() => app.received.length === 2, 'both deliveries to reach the app');
    app.release();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect(await flow).toMatchObject({ reason: 'max-events', accepted: 2, deliveries: { received: 2, matched: 2 } });
  });
});

describe('runListenFlow: the listener it starts', () => {
  it('listens on the host, port and path asked for, with the secret in the header asked for', async () => {
    const port = await freePort();
    const { flow, localUrl } = await startFlow({
      host: '127.0.0.1',
      port,
      path: '/hooks/in',
      secret: SECRET,
      secretHeader: 'X-Custom-Secret',
      maxEvents: 1,
      timeoutMs: 20_000,
    });
    expect(localUrl).toBe(`http://127.0.0.1:${port}/hooks/in`);
    expect((await deliver(localUrl)).status).toBe(401);
    const answer = await send(localUrl, { headers: { 'content-type': 'application/json', 'x-custom-secret': SECRET }, body: BODY });
    expect(answer.status).toBe(200);
    expect(await flow).toMatchObject({ reason: 'max-events', accepted: 1, refused: 1, deliveries: { refusedBy: { 'secret-missing': 1 } } });
  });

  it('refuses a --forward-to that points at the listener itself, and frees the port', async () => {
    const port = await freePort();
    const forwardTo = `http://localhost:${port}/webhook`;
    await expect(runListenFlow({ port, forwardTo, timeoutMs: 5000 })).rejects.toMatchObject({
      category: 'usage',
      message: `--forward-to ${forwardTo} points at this listener itself: each delivery would be forwarded to itself, again and again.`,
      hint: "Pass your app's webhook URL (another port), e.g. --forward-to http://localhost:3000/webhooks/sendtalk.",
    });
    expect(await isListening(port)).toBe(false);
  });

  it('with an aborted signal, any failure is an interruption', async () => {
    const port = await freePort();
    const stop = new AbortController();
    stop.abort();
    await expect(runListenFlow({ port, forwardTo: `http://127.0.0.1:${port}/webhook`, signal: stop.signal })).rejects.toMatchObject({
      category: 'interrupted',
      message: 'Interrupted.',
    });
  });

  it('forwards each accepted delivery with the secret before answering, and reports what the app answered', async () => {
    const app = await startApp();
    const { flow, events, localUrl } = await startFlow({ secret: SECRET, forwardTo: app.url, maxEvents: 1, timeoutMs: 20_000 });
    expect((await deliver(localUrl, 'wrong')).status).toBe(401);
    expect((await deliver(localUrl)).status).toBe(200);
    await flow;
    expect(app.received.map((r) => [r.body, r.headers['x-secret-key']])).toEqual([[BODY, SECRET]]);
    const reported = events.flatMap((e) => (e.type === 'delivery' ? [e.forward] : []));
    expect(reported).toEqual([undefined, { url: app.url, status: 202, ms: expect.any(Number) }]);
  });

  it('forwards in the secret header asked for', async () => {
    const app = await startApp();
    const { flow, localUrl } = await startFlow({ secret: SECRET, secretHeader: 'X-Custom-Secret', forwardTo: app.url, maxEvents: 1, timeoutMs: 20_000 });
    expect((await send(localUrl, { headers: { 'content-type': 'application/json', 'x-custom-secret': SECRET }, body: BODY })).status).toBe(200);
    await flow;
    expect(app.received.map((r) => [r.headers['x-custom-secret'], r.headers['x-secret-key']])).toEqual([[SECRET, undefined]]);
  });
});

describe('runListenFlow: the delivery log', () => {
  const logFile = (): string => join(mkdtempSync(join(tmpdir(), 'listen-flow-')), 'log.ndjson');
  const records = (path: string): Array<Record<string, unknown>> =>
    readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it('writes accepted and refused deliveries in the order they came', async () => {
    const log = logFile();
    const { flow, events, localUrl } = await startFlow({ secret: SECRET, logPath: log, maxEvents: 1, timeoutMs: 20_000 });
    expect((await deliver(localUrl, 'wrong')).status).toBe(401);
    expect((await deliver(localUrl)).status).toBe(200);
    await flow;
    expect(records(log).map((r) => [r.seq, r.accepted, r.status])).toEqual([
      [1, false, 401],
      [2, true, 200],
    ]);
    // Nothing to forward to: nothing forwarded.
    expect(events.flatMap((e) => (e.type === 'delivery' ? [e.forward] : []))).toEqual([undefined, undefined]);
    expect(typesOf(events)).not.toContain('log-loose-mode');
  });

  it('warns (before ready) when an existing log file can be read by others', async () => {
    const log = logFile();
    writeFileSync(log, '{"seq":0}\n');
    chmodSync(log, 0o644);
    const { events, stop, flow } = await startFlow({ logPath: log, timeoutMs: 20_000 });
    stop.abort();
    await flow;
    expect(events.slice(0, 2)).toEqual([{ type: 'log-loose-mode', path: log, mode: 0o644 }, expect.objectContaining({ type: 'ready' })]);
  });
});

describe('runListenFlow: refusal floods', () => {
  const wrongPath = (localUrl: string): string => localUrl.replace('/webhook', '/elsewhere');

  it('reports the first of each reason per window, and summarises the rest at the end, in the log too', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'listen-flow-')), 'log.ndjson');
    const { flow, events, localUrl, stop } = await startFlow({ logPath: log, refusalReports: { perWindow: 1, windowMs: 60_000 }, timeoutMs: 20_000 });
    for (let i = 0; i < 3; i++) expect((await deliver(wrongPath(localUrl))).status).toBe(404);
    stop.abort();
    expect(await flow).toMatchObject({ reason: 'interrupted', refused: 3 });
    expect(typesOf(events)).toEqual(['ready', 'waiting', 'delivery', 'refusals-summary']);
    expect(events[3]).toEqual({
      type: 'refusals-summary',
      summaries: [{ reason: 'not-found', suppressed: 2, from: expect.any(String), to: expect.any(String) }],
      windowMs: 60_000,
    });
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((r) => [r.type, r.status])).toEqual([
      ['delivery', 404],
      ['refusals-summary', undefined],
    ]);
    expect(lines[1]).toMatchObject({ reason: 'not-found', suppressed: 2 });
  });

  it('sends a summary every window while listening', async () => {
    const { events, localUrl } = await startFlow({ refusalReports: { perWindow: 1, windowMs: 300 }, timeoutMs: 20_000 });
    for (let i = 0; i < 2; i++) expect((await deliver(wrongPath(localUrl))).status).toBe(404);
    const summary = await until(() => events.find((e) => e.type === 'refusals-summary'), 'a summary before the end', { timeoutMs: 3000 });
    expect(summary).toMatchObject({ windowMs: 300, summaries: [{ reason: 'not-found', suppressed: 1 }] });
  });

  it('by default reports 20 refusals of a reason one by one, then summarises', async () => {
    const { flow, events, localUrl, stop } = await startFlow({ timeoutMs: 20_000 });
    for (let i = 0; i < 21; i++) expect((await deliver(wrongPath(localUrl))).status).toBe(404);
    stop.abort();
    expect(await flow).toMatchObject({ refused: 21 });
    expect(events.filter((e) => e.type === 'delivery')).toHaveLength(20);
    expect(events.at(-1)).toMatchObject({ type: 'refusals-summary', windowMs: 10_000, summaries: [{ reason: 'not-found', suppressed: 1 }] });
  });

  it('without refusals past the allowance, no summary', async () => {
    const { flow, events, localUrl, stop } = await startFlow({ timeoutMs: 20_000 });
    expect((await deliver(wrongPath(localUrl))).status).toBe(404);
    stop.abort();
    await flow;
    expect(typesOf(events)).toEqual(['ready', 'waiting', 'delivery']);
  });
});

describe('runListenFlow: how the listener is exposed', () => {
  it('behind your own tunnel (--tunnel URL): the public webhook URL, probed through it', async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const { flow, events, stop } = await startFlow({ port, tunnel: { kind: 'public-url', publicUrl }, timeoutMs: 20_000 });
    stop.abort();
    const result = await flow;
    expect(result.webhookUrl).toBe(`${publicUrl}/webhook`);
    expect(typesOf(events)).toEqual(['ready', 'probe', 'waiting']);
    expect(events[0]).toMatchObject({ type: 'ready', webhookUrl: `${publicUrl}/webhook`, public: true });
    expect(events[1]).toEqual({ type: 'probe', webhookUrl: `${publicUrl}/webhook`, result: { ok: true, ms: expect.any(Number) } });
  });

  it('behind your own tunnel (--tunnel URL) with probe false: not probed; a time-out points at the webhook URL', async () => {
    const { flow, events } = await startFlow({ tunnel: { kind: 'public-url', publicUrl: 'https://hooks.example.test' }, probe: false, timeoutMs: 200 });
    const result = await flow;
    expect(typesOf(events)).toEqual(['ready', 'waiting']);
    expect(result.diagnosis).toEqual({
      cause: 'No delivery arrived',
      hint: 'Check that the Webhook URL in Verification Config is https://hooks.example.test/webhook, and that the message was sent unchanged; --timeout waits longer.',
    });
  });

  it("tunnel 'none' opens nothing", async () => {
    const { flow, events, stop } = await startFlow({ tunnel: 'none', timeoutMs: 20_000 });
    stop.abort();
    await flow;
    expect(events[0]).toMatchObject({ type: 'ready', public: false });
  });

  it('a provider tunnel: its URL, closed before the listener, and the last 200 passed on through it', async () => {
    const flushes: number[] = [];
    let listenerUpAtClose: boolean | undefined;
    let localPort = 0;
    const open = async (local: { port: number }): Promise<PublicUrl> => {
      localPort = local.port;
      return {
        url: 'https://name.tunnel.test',
        flush: async (bound?: number) => {
          flushes.push(bound ?? -1);
        },
        close: async () => {
          listenerUpAtClose = await isListening(localPort);
        },
      };
    };
    const { flow, events, localUrl } = await startFlow({ tunnel: { kind: 'provider', open }, probe: false, maxEvents: 1, drainMs: 5000, timeoutMs: 20_000 });
    expect(events[0]).toMatchObject({ type: 'ready', webhookUrl: 'https://name.tunnel.test/webhook', public: true });
    expect((await deliver(localUrl, '')).status).toBe(200);
    expect(await flow).toMatchObject({ reason: 'max-events', webhookUrl: 'https://name.tunnel.test/webhook' });
    expect(flushes).toHaveLength(1);
    expect(flushes[0]).toBeGreaterThan(4000);
    expect(flushes[0]).toBeLessThanOrEqual(5000);
    expect(listenerUpAtClose).toBe(true);
  });

  it('a provider tunnel: the last 200 is waited for at most 1 s by default, and not at all on a time-out', async () => {
    const flushes: number[] = [];
    const open = async (): Promise<PublicUrl> => ({
      url: 'https://name.tunnel.test',
      flush: async (bound?: number) => {
        flushes.push(bound ?? -1);
      },
      close: async () => {},
    });
    const first = await startFlow({ tunnel: { kind: 'provider', open }, probe: false, maxEvents: 1, timeoutMs: 20_000 });
    expect((await deliver(first.localUrl, '')).status).toBe(200);
    await first.flow;
    expect(flushes).toHaveLength(1);
    expect(flushes[0]).toBeGreaterThan(500);
    expect(flushes[0]).toBeLessThanOrEqual(1000);

    const second = await startFlow({ tunnel: { kind: 'provider', open }, probe: false, maxEvents: 2, timeoutMs: 500 });
    expect((await deliver(second.localUrl, '')).status).toBe(200);
    expect(await second.flow).toMatchObject({ reason: 'timeout' });
    expect(flushes).toHaveLength(1);
  });
});

describe('runListenFlow: a localtunnel tunnel', () => {
  const startServer = serversStoppedAfterEach();

  it('opens it with the settings given; a replaced subdomain is reported after ready, then the probe through it', async () => {
    const server = await startServer(new LocaltunnelServer());
    // Someone else already holds the name asked for, so the server hands out another one.
    const squatter = await openTunnel({ port: 1, host: server.url, subdomain: 'acme-listen-name' });
    defer(() => squatter.close());
    const { flow, events, stop } = await startFlow({
      tunnel: { kind: 'localtunnel', host: server.url, subdomain: 'acme-listen-name', timeoutMs: 10_000 },
      timeoutMs: 20_000,
    });
    const assigned = server.clientIds.find((id) => id !== 'acme-listen-name')!;
    const webhookUrl = `http://${assigned}.localhost:${server.port}/webhook`;
    const shown = events.filter((e) => !(e.type === 'tunnel' && (e.event.type === 'request' || e.event.type === 'error')));
    expect(typesOf(shown)).toEqual(['ready', 'tunnel', 'probe', 'waiting']);
    expect(shown[0]).toEqual({ type: 'ready', localUrl: expect.any(String), webhookUrl, public: true, subdomain: assigned, provider: 'localtunnel' });
    expect(shown[1]).toMatchObject({ type: 'tunnel', webhookUrl, event: { type: 'subdomain-replaced', requested: 'acme-listen-name', assigned } });
    expect(shown[2]).toMatchObject({ type: 'probe', webhookUrl, result: { ok: true } });
    // The probe's request through the tunnel came after ready: reported as it came, not held back.
    const requests = events.filter((e) => e.type === 'tunnel' && e.event.type === 'request');
    expect(requests[0]).toMatchObject({ type: 'tunnel', event: { type: 'request' } });
    stop.abort();
    expect(await flow).toMatchObject({ reason: 'interrupted', webhookUrl });
  });

  it('gives up on a registration that hangs after the tunnel timeoutMs', async () => {
    const server = await startServer(new LocaltunnelServer());
    server.mode = 'hang';
    const started = Date.now();
    await expect(runListenFlow({ tunnel: { kind: 'localtunnel', host: server.url, timeoutMs: 300 }, timeoutMs: 20_000 })).rejects.toBeInstanceOf(
      SendtalkVerifyError,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('aborted while the tunnel opens: the interruption as the tunnel said it', async () => {
    const server = await startServer(new LocaltunnelServer());
    server.mode = 'hang';
    const stop = new AbortController();
    const flow = runListenFlow({ tunnel: { kind: 'localtunnel', host: server.url, timeoutMs: 20_000 }, signal: stop.signal });
    await until(() => server.registrations.length > 0, 'the registration request');
    stop.abort();
    await expect(flow).rejects.toMatchObject({ category: 'interrupted', message: 'Interrupted while opening the tunnel.' });
  });

  it('aborted before the probe: no probe reported, interrupted', async () => {
    const stop = new AbortController();
    const events: ListenFlowEvent[] = [];
    const result = await runListenFlow({
      tunnel: { kind: 'public-url', publicUrl: 'http://127.0.0.1:1' },
      signal: stop.signal,
      timeoutMs: 20_000,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'ready') stop.abort();
      },
    });
    expect(result.reason).toBe('interrupted');
    expect(typesOf(events)).toEqual(['ready', 'waiting']);
  });
});
