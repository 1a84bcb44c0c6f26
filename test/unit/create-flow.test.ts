import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SendtalkVerifyError } from '../../src/errors.js';
import { runCreateFlow, type CreateFlowEvent, type CreateFlowOptions } from '../../src/flow/create-flow.js';
import type { PublicUrl } from '../../src/tunnel/types.js';
import { emulatorsClosedAfterEach } from '../helpers/cleanup.js';
import { send } from '../helpers/listen-process.js';
import { freePort, isListening } from '../helpers/ports.js';

const startEmulator = emulatorsClosedAfterEach();
const SECRET = 'whsec-create-flow-unit-0123456789';
const PHONE = '6281234567890';

/** Runs the flow and keeps its events; `react` sees each one as it comes. */
async function run(
  options: Omit<CreateFlowOptions, 'phone'> & { phone?: string },
  react: (event: CreateFlowEvent) => void = () => {},
): Promise<{ result: Awaited<ReturnType<typeof runCreateFlow>>; events: CreateFlowEvent[] }> {
  const events: CreateFlowEvent[] = [];
  const result = await runCreateFlow({
    phone: PHONE,
    ...options,
    onEvent: (event) => {
      events.push(event);
      react(event);
    },
  });
  return { result, events };
}

const typesOf = (events: CreateFlowEvent[]): string[] => events.map((e) => e.type);
const portOf = (url: string): number => Number(new URL(url).port);
const eventOf = <T extends CreateFlowEvent['type']>(events: CreateFlowEvent[], type: T): Extract<CreateFlowEvent, { type: T }> =>
  events.find((e) => e.type === type) as Extract<CreateFlowEvent, { type: T }>;
const deliver = (url: string, payload: object, headers: Record<string, string> = { 'x-secret-key': SECRET }): ReturnType<typeof send> =>
  send(url, { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(payload) });
const EMPTY_TALLY = { received: 0, matched: 0, otherVerification: 0, others: [], refused: 0, refusedBy: {}, secretLocations: [] };

describe('runCreateFlow in the sandbox', () => {
  it('creates, waits and reports the verified delivery, then closes the emulator and the listener', async () => {
    let waitingAt = 0;
    const { result, events } = await run({ phone: '+62 (0)812-3456-7890', sandbox: true, sandboxDelayMs: 100, timeoutMs: 10_000 }, (e) => {
      if (e.type === 'waiting') waitingAt = Date.now();
    });
    expect(typesOf(events)).toEqual(['sandbox', 'listening', 'created', 'waiting', 'delivery']);
    const { apiUrl } = eventOf(events, 'sandbox');
    expect(apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const listening = eventOf(events, 'listening');
    expect(listening).toEqual({ type: 'listening', localUrl: listening.localUrl, webhookUrl: listening.localUrl, public: false, provider: 'none' });
    const waiting = eventOf(events, 'waiting');
    expect(waiting).toEqual({ type: 'waiting', deadline: waiting.deadline, until: 'timeout' });
    expect(waiting).not.toHaveProperty('ignoredExpiry');
    expect(waiting.deadline - waitingAt).toBeGreaterThan(9000);
    expect(waiting.deadline - waitingAt).toBeLessThanOrEqual(10_000);
    const delivery = eventOf(events, 'delivery');
    expect(delivery.matched).toBe(true);
    expect(result).toEqual({
      status: 'verified',
      verification: eventOf(events, 'created').verification,
      createdAt: expect.any(String),
      verifiedAt: delivery.delivery.receivedAt,
      elapsedMs: expect.any(Number),
      webhookUrl: listening.localUrl,
      matchedBy: 'id',
      webhook: delivery.delivery.payload,
      eventStatus: 'verified',
      deliveries: { ...EMPTY_TALLY, received: 1, matched: 1 },
      sandbox: true,
    });
    expect(result.verification.phone).toBe(PHONE);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(100);
    expect(result.elapsedMs).toBeLessThan(5000);
    expect(Date.parse(result.createdAt)).toBeLessThanOrEqual(Date.parse(delivery.delivery.receivedAt) - 100);
    expect(await isListening(portOf(apiUrl))).toBe(false);
    expect(await isListening(portOf(listening.localUrl))).toBe(false);
  });

  it('delivers after 2 s by default, in the secret header asked for', async () => {
    const { result } = await run({ sandbox: true, secretHeader: 'X-Custom-Secret', timeoutMs: 10_000 });
    expect(result).toMatchObject({ status: 'verified', deliveries: { received: 1, matched: 1, refused: 0 } });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(2000);
    expect(result.webhook).toMatchObject({ status: 'verified' });
  });

  it('with wait false only creates: no listener, no deliveries', async () => {
    const { result, events } = await run({ sandbox: true, wait: false, sandboxDelayMs: 50 });
    expect(typesOf(events)).toEqual(['sandbox', 'created']);
    expect(result).toMatchObject({ status: 'created', sandbox: true });
    expect(result.webhookUrl).toBeUndefined();
    expect(result).not.toHaveProperty('deliveries');
    expect(result).not.toHaveProperty('diagnosis');
    expect(result.elapsedMs).toBeLessThan(5000);
  });

  it('needs no onEvent', async () => {
    const result = await runCreateFlow({ phone: PHONE, sandbox: true, sandboxDelayMs: 50, timeoutMs: 10_000 });
    expect(result).toMatchObject({ status: 'verified', sandbox: true });
  });

  it('stays local whatever tunnel is given, and is not probed; a time-out points at SENDTALK_SANDBOX_DELAY', async () => {
    const opened: string[] = [];
    const { result, events } = await run({
      sandbox: true,
      sandboxDelayMs: 60_000,
      timeoutMs: 300,
      tunnel: {
        kind: 'provider',
        open: async () => {
          opened.push('provider');
          return { url: 'https://x.test', close: async () => {} };
        },
      },
    });
    const listening = eventOf(events, 'listening');
    expect(listening).toMatchObject({ public: false, webhookUrl: listening.localUrl });
    expect(opened).toEqual([]);
    expect(typesOf(events)).not.toContain('probe');
    expect(result).toMatchObject({ status: 'timeout', deliveries: EMPTY_TALLY });
    expect(result.diagnosis).toEqual({
      cause: 'No delivery arrived',
      hint: "The sandbox's emulator delivers SENDTALK_SANDBOX_DELAY after the verification is created (default 2s): set a SENDTALK_SANDBOX_DELAY shorter than the wait (or --timeout waits longer).",
    });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(300);
    expect(result.elapsedMs).toBeLessThan(5000);
  });
});

describe('runCreateFlow against an API', () => {
  it('sends the request fields asked for, traces the call, and reports a verified delivery', async () => {
    const emulator = await startEmulator({ apiKey: 'k', secret: SECRET });
    const trace: string[] = [];
    const { result, events } = await run(
      {
        apiUrl: emulator.url,
        apiKey: 'k',
        secret: SECRET,
        language: 'id',
        expiryMinutes: 5,
        appUrl: 'https://app.example.test',
        timeoutMs: 10_000,
        onTrace: (line) => trace.push(line),
      },
      (e) => {
        if (e.type === 'listening') emulator.setWebhook({ url: e.localUrl });
        if (e.type === 'created') void emulator.verify(e.verification.id);
      },
    );
    const sent = emulator.verifications.get(result.verification.id)!;
    expect([sent.phone, sent.languageCode, sent.appURL]).toEqual([PHONE, 'id', 'https://app.example.test']);
    expect(Date.parse(sent.expiresAt) - Date.parse(sent.createdAt)).toBe(5 * 60_000);
    expect(trace.length).toBeGreaterThan(0);
    expect(result).toMatchObject({ status: 'verified', sandbox: false, matchedBy: 'id', eventStatus: 'verified' });
    expect(typesOf(events)).toEqual(['listening', 'created', 'waiting', 'delivery']);
  });

  it('a delivery whose own status says it failed: not-verified, no verifiedAt', async () => {
    const emulator = await startEmulator({ apiKey: 'k', secret: SECRET, shape: { webhookStatus: 'failed' } });
    const { result } = await run({ apiUrl: emulator.url, apiKey: 'k', secret: SECRET, timeoutMs: 10_000 }, (e) => {
      if (e.type === 'listening') emulator.setWebhook({ url: e.localUrl });
      if (e.type === 'created') void emulator.verify(e.verification.id);
    });
    expect(result).toMatchObject({ status: 'not-verified', eventStatus: 'failed' });
    expect(result).not.toHaveProperty('verifiedAt');
  });

  it('a delivery that beats the create answer is matched (by phone) once the verification is known; one for another verification is not', async () => {
    const emulator = await startEmulator({ apiKey: 'k', latencyMs: 300 });
    const answers: number[] = [];
    const { result, events } = await run({ apiUrl: emulator.url, apiKey: 'k', timeoutMs: 10_000 }, (e) => {
      if (e.type === 'listening') {
        void deliver(e.localUrl, { verificationId: 'v-other', status: 'verified' }, {})
          .then((a) => {
            answers.push(a.status);
            return deliver(e.localUrl, { phone: `+${PHONE}` }, {});
          })
          .then((a) => answers.push(a.status));
      }
    });
    expect(answers).toEqual([200, 200]);
    expect(events.filter((e) => e.type === 'delivery').map((e) => e.matched)).toEqual([undefined, undefined]);
    expect(result).toMatchObject({
      status: 'verified',
      matchedBy: 'phone',
      webhook: { phone: `+${PHONE}` },
      deliveries: { received: 2, matched: 1, otherVerification: 1, others: ['v-other'] },
    });
    expect(result).not.toHaveProperty('eventStatus');
  });

  it('deliveries after the create answer are reported matched or not', async () => {
    const emulator = await startEmulator({ apiKey: 'k' });
    let url = '';
    let id = '';
    const { result, events } = await run({ apiUrl: emulator.url, apiKey: 'k', timeoutMs: 10_000 }, (e) => {
      if (e.type === 'listening') url = e.localUrl;
      if (e.type === 'created') id = e.verification.id;
      if (e.type === 'waiting') void deliver(url, { verificationId: 'v-other' }, {}).then(() => deliver(url, { verificationId: id, status: 'verified' }, {}));
    });
    expect(events.filter((e) => e.type === 'delivery').map((e) => e.matched)).toEqual([false, true]);
    expect(result).toMatchObject({ status: 'verified', matchedBy: 'id', deliveries: { received: 2, matched: 1, otherVerification: 1 } });
  });

  it('times out on a local listener: nothing can reach it', async () => {
    const emulator = await startEmulator({ apiKey: 'k' });
    const { result, events } = await run({ apiUrl: emulator.url, apiKey: 'k', timeoutMs: 300 });
    expect(eventOf(events, 'waiting')).toMatchObject({ until: 'timeout' });
    expect(result).toMatchObject({ status: 'timeout', deliveries: EMPTY_TALLY, sandbox: false });
    expect(result.diagnosis).toEqual({
      cause: 'No delivery arrived',
      hint: 'The listener is local (--tunnel none): SendTalk cannot reach it; drop --tunnel none or pass the URL of your own tunnel to --tunnel; --timeout waits longer.',
    });
  });

  it('ends at the expiry when it comes first: expired, and --expiry gives more time', async () => {
    const emulator = await startEmulator({ apiKey: 'k', defaultExpiryMinutes: 0.005 });
    const { result, events } = await run({ apiUrl: emulator.url, apiKey: 'k', timeoutMs: 10_000 });
    expect(eventOf(events, 'waiting')).toMatchObject({ until: 'expiry' });
    expect(result.status).toBe('expired');
    expect(result.diagnosis?.hint).toBe(
      'The listener is local (--tunnel none): SendTalk cannot reach it; drop --tunnel none or pass the URL of your own tunnel to --tunnel; --expiry gives a verification longer to live (up to 1440 minutes).',
    );
  });

  it("says when the answer's expiry was set aside", async () => {
    const emulator = await startEmulator({ apiKey: 'k', defaultExpiryMinutes: -1 });
    const { result, events } = await run({ apiUrl: emulator.url, apiKey: 'k', timeoutMs: 200 });
    expect(eventOf(events, 'waiting').ignoredExpiry).toEqual({ expiresAt: result.verification.expiresAt, why: 'past' });
    expect(result.status).toBe('timeout');
  });

  it('names the header a refused delivery lacked', async () => {
    const emulator = await startEmulator({ apiKey: 'k' });
    const { result } = await run({ apiUrl: emulator.url, apiKey: 'k', secret: SECRET, secretHeader: 'X-Custom-Secret', timeoutMs: 500 }, (e) => {
      if (e.type === 'listening') void deliver(e.localUrl, { verificationId: 'v' }, {});
    });
    expect(result.status).toBe('timeout');
    expect(result.diagnosis?.cause).toBe('1 delivery arrived and was refused: secret key is missing (no X-Custom-Secret header)');
  });

  it('names the path deliveries must be sent to, on the host and port asked for', async () => {
    const emulator = await startEmulator({ apiKey: 'k' });
    const port = await freePort();
    let localUrl = '';
    const { result } = await run({ apiUrl: emulator.url, apiKey: 'k', host: '127.0.0.1', port, path: '/hooks/in', timeoutMs: 500 }, (e) => {
      if (e.type === 'listening') {
        localUrl = e.localUrl;
        void deliver(e.localUrl.replace('/hooks/in', '/webhook'), { verificationId: 'v' }, {});
      }
    });
    expect(localUrl).toBe(`http://127.0.0.1:${port}/hooks/in`);
    expect(result.diagnosis).toEqual({
      cause: '1 delivery arrived and was refused: sent to another path',
      hint: 'The Webhook URL in Verification Config must end in /hooks/in (or set SENDTALK_WEBHOOK_PATH to its path).',
    });
  });

  it('a failure that is not an interruption is passed on as it is, and what started is closed', async () => {
    const emulator = await startEmulator({ apiKey: 'k' });
    let localUrl = '';
    const failure = run({ apiUrl: emulator.url, apiKey: 'wrong', timeoutMs: 10_000 }, (e) => {
      if (e.type === 'listening') localUrl = e.localUrl;
    });
    await expect(failure).rejects.toBeInstanceOf(SendtalkVerifyError);
    await expect(failure).rejects.not.toMatchObject({ category: 'interrupted' });
    expect(await isListening(portOf(localUrl))).toBe(false);
  });
});

describe('runCreateFlow: interruptions', () => {
  it('a signal aborted before it starts: interrupted', async () => {
    const stop = new AbortController();
    stop.abort();
    await expect(runCreateFlow({ phone: PHONE, sandbox: true, signal: stop.signal, timeoutMs: 5000 })).rejects.toMatchObject({
      category: 'interrupted',
      message: 'Interrupted while calling the SendTalk API.',
    });
  });

  it('aborted while the create request is on its way: interrupted, with the reason the caller gave', async () => {
    const emulator = await startEmulator({ apiKey: 'k', latencyMs: 5000 });
    const stop = new AbortController();
    const reason = new SendtalkVerifyError('interrupted', 'Stopped by the test.');
    const flow = runCreateFlow({
      phone: PHONE,
      apiUrl: emulator.url,
      apiKey: 'k',
      signal: stop.signal,
      timeoutMs: 10_000,
      onEvent: (e) => {
        if (e.type === 'listening') setTimeout(() => stop.abort(reason), 50);
      },
    });
    await expect(flow).rejects.toBe(reason);
  });

  it('aborted before the probe: no probe reported, interrupted', async () => {
    const emulator = await startEmulator({ apiKey: 'k' });
    const stop = new AbortController();
    const events: CreateFlowEvent[] = [];
    const flow = runCreateFlow({
      phone: PHONE,
      apiUrl: emulator.url,
      apiKey: 'k',
      tunnel: { kind: 'public-url', publicUrl: 'http://127.0.0.1:1' },
      signal: stop.signal,
      timeoutMs: 10_000,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'listening') stop.abort();
      },
    });
    await expect(flow).rejects.toMatchObject({ category: 'interrupted' });
    expect(typesOf(events)).toEqual(['listening']);
  });

  it('a failure after the signal aborted is reported as the interruption; before, as itself', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const stop = new AbortController();
      stop.abort();
      await expect(runCreateFlow({ phone: PHONE, sandbox: true, port, signal: stop.signal })).rejects.toMatchObject({
        category: 'interrupted',
        message: 'Interrupted.',
      });
      const failure = runCreateFlow({ phone: PHONE, sandbox: true, port });
      await expect(failure).rejects.toBeInstanceOf(SendtalkVerifyError);
      await expect(failure).rejects.not.toMatchObject({ category: 'interrupted' });
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('aborted while waiting: interrupted, not a time-out', async () => {
    const stop = new AbortController();
    const flow = runCreateFlow({
      phone: PHONE,
      sandbox: true,
      sandboxDelayMs: 60_000,
      signal: stop.signal,
      timeoutMs: 10_000,
      onEvent: (e) => {
        if (e.type === 'waiting') stop.abort();
      },
    });
    await expect(flow).rejects.toMatchObject({ category: 'interrupted', message: 'Interrupted.' });
  });
});

describe('runCreateFlow: how the listener is exposed', () => {
  /** A public URL served by the listener itself (its own port), so that the probe reaches it. */
  async function selfPublicUrl(): Promise<{ port: number; publicUrl: string }> {
    const port = await freePort();
    return { port, publicUrl: `http://127.0.0.1:${port}` };
  }

  it('behind a public URL: reported public and probed through it', async () => {
    const emulator = await startEmulator({ apiKey: 'k' });
    const { port, publicUrl } = await selfPublicUrl();
    const { result, events } = await run({ apiUrl: emulator.url, apiKey: 'k', port, tunnel: { kind: 'public-url', publicUrl }, timeoutMs: 200 });
    expect(typesOf(events)).toEqual(['listening', 'probe', 'created', 'waiting']);
    expect(eventOf(events, 'listening')).toMatchObject({ webhookUrl: `${publicUrl}/webhook`, public: true });
    expect(eventOf(events, 'probe')).toEqual({ type: 'probe', webhookUrl: `${publicUrl}/webhook`, result: { ok: true, ms: expect.any(Number) } });
    expect(result.webhookUrl).toBe(`${publicUrl}/webhook`);
    expect(result.diagnosis?.hint).toBe(
      `Check that the Webhook URL in Verification Config is ${publicUrl}/webhook, and that the message was sent unchanged; --timeout waits longer.`,
    );
  });

  it('with probe false: not probed', async () => {
    const emulator = await startEmulator({ apiKey: 'k' });
    const { events } = await run({
      apiUrl: emulator.url,
      apiKey: 'k',
      tunnel: { kind: 'public-url', publicUrl: 'https://hooks.example.test' },
      probe: false,
      timeoutMs: 100,
    });
    expect(typesOf(events)).toEqual(['listening', 'created', 'waiting']);
  });

  it('a tunnel opened by a provider closes before the listener and passes the 200 on first', async () => {
    const emulator = await startEmulator({ apiKey: 'k', secret: SECRET });
    const flushes: number[] = [];
    const opened: string[] = [];
    let listenerUpAtClose: boolean | undefined;
    let localPort = 0;
    const open = async (local: { host: string; port: number; path: string }): Promise<PublicUrl> => {
      opened.push(`tunnel ${local.host} ${local.path}`);
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
    const { result } = await run(
      {
        apiUrl: emulator.url,
        apiKey: 'k',
        secret: SECRET,
        probe: false,
        timeoutMs: 10_000,
        tunnel: { kind: 'provider', open },
      },
      (e) => {
        if (e.type === 'listening') emulator.setWebhook({ url: e.localUrl });
        if (e.type === 'created') void emulator.verify(e.verification.id);
      },
    );
    expect(opened).toEqual(['tunnel 127.0.0.1 /webhook']);
    expect(result).toMatchObject({ status: 'verified', webhookUrl: 'https://name.tunnel.test/webhook' });
    expect(flushes).toHaveLength(1);
    expect(flushes[0]).toBeGreaterThan(500);
    expect(flushes[0]).toBeLessThanOrEqual(1000);
    expect(listenerUpAtClose).toBe(true);
  });

  it('drainMs bounds the wait for the last 200', async () => {
    const emulator = await startEmulator({ apiKey: 'k', secret: SECRET });
    const flushes: number[] = [];
    const { result, events } = await run(
      {
        apiUrl: emulator.url,
        apiKey: 'k',
        secret: SECRET,
        probe: false,
        drainMs: 5000,
        timeoutMs: 10_000,
        tunnel: {
          kind: 'provider',
          open: async () => ({
            url: 'https://opened.tunnel.test',
            flush: async (bound?: number) => {
              flushes.push(bound ?? -1);
            },
            close: async () => {},
          }),
        },
      },
      (e) => {
        if (e.type === 'listening') emulator.setWebhook({ url: e.localUrl });
        if (e.type === 'created') void emulator.verify(e.verification.id);
      },
    );
    expect(eventOf(events, 'listening')).toMatchObject({ webhookUrl: 'https://opened.tunnel.test/webhook', public: true });
    expect(result.status).toBe('verified');
    expect(flushes[0]).toBeGreaterThan(4000);
    expect(flushes[0]).toBeLessThanOrEqual(5000);
  });
});
