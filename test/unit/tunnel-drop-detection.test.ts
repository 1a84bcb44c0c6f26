import { afterEach, describe, expect, it } from 'vitest';
import { SendtalkVerifyError } from '../../src/errors.js';
import { openTunnel, reopenDelayMs } from '../../src/tunnel/open-tunnel.js';
import type { SessionListener, SessionRequest, TunnelConnector, TunnelEvent, TunnelHandle } from '../../src/tunnel/types.js';
import { freePort } from '../helpers/ports.js';
import { pause, until } from '../helpers/until.js';

/** One registration as the fake server sees it; the test decides what the server does. */
interface Call {
  request: SessionRequest;
  listener: SessionListener;
  abandoned: boolean;
  closed: boolean;
  register(id: string): void;
  refuse(error: Error): void;
}

/** A scripted tunnel server behind the `TunnelConnector` seam. */
class FakeTunnelServer {
  readonly calls: Call[] = [];
  readonly connect: TunnelConnector = (request, listener) => {
    let resolve!: (value: { url: string; clientId: string; close(): void }) => void;
    let reject!: (error: Error) => void;
    const session = new Promise<{ url: string; clientId: string; close(): void }>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    session.catch(() => {});
    const call: Call = {
      request,
      listener,
      abandoned: false,
      closed: false,
      register: (id) =>
        resolve({
          url: `https://${id}.tunnel.test`,
          clientId: id,
          close: () => {
            call.closed = true;
          },
        }),
      refuse: (error) => reject(error),
    };
    this.calls.push(call);
    return {
      session,
      abandon: () => {
        call.abandoned = true;
      },
    };
  };

  async call(n: number): Promise<Call> {
    await until(() => this.calls.length >= n, `registration #${n}`);
    return this.calls[n - 1]!;
  }

  /** Registers call n as `id` and opens one connection. */
  async up(n: number, id: string): Promise<Call> {
    const call = await this.call(n);
    call.register(id);
    await tick();
    call.listener.connections(1);
    return call;
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

let server: FakeTunnelServer;
let events: TunnelEvent[];
let handle: TunnelHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

function open(extra: Partial<Parameters<typeof openTunnel>[0]> = {}): Promise<TunnelHandle> {
  server = new FakeTunnelServer();
  events = [];
  return openTunnel({
    port: 4000,
    host: 'https://tunnel.test',
    connect: server.connect,
    dropGraceMs: 50,
    reopenBackoff: { initialMs: 40, maxMs: 160 },
    stableAfterMs: 60_000,
    onEvent: (e) => events.push(e),
    ...extra,
  });
}
const ofType = <T extends TunnelEvent['type']>(type: T) => events.filter((e): e is Extract<TunnelEvent, { type: T }> => e.type === type);

describe('opening', () => {
  it('counts as open only once registered and connected, and forwards to 127.0.0.1', async () => {
    let opened = false;
    const pending = open().then((h) => {
      opened = true;
      return h;
    });
    const call = await server.call(1);
    expect(call.request).toEqual({ host: 'https://tunnel.test', localHost: '127.0.0.1', localPort: 4000, subdomain: undefined });
    call.register('quiet-fox');
    await tick();
    expect(opened).toBe(false);
    call.listener.connections(1);
    handle = await pending;
    expect(handle.url).toBe('https://quiet-fox.tunnel.test');
    expect(handle.subdomain).toBe('quiet-fox');
  });

  it('warns when the server replaces the subdomain asked for', async () => {
    const pending = open({ subdomain: 'acme-otp-dev' });
    const call = await server.call(1);
    expect(call.request.subdomain).toBe('acme-otp-dev');
    await server.up(1, 'random-name-1');
    handle = await pending;
    expect(ofType('subdomain-replaced')).toEqual([
      { type: 'subdomain-replaced', requested: 'acme-otp-dev', assigned: 'random-name-1', url: 'https://random-name-1.tunnel.test' },
    ]);
  });

  it('fails with a tunnel error when its connections are refused', async () => {
    const pending = open();
    const call = await server.call(1);
    call.register('quiet-fox');
    await tick();
    call.listener.error(new Error('connection refused: tunnel.test:40000 (check your firewall settings)'));
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendtalkVerifyError);
    expect(error).toMatchObject({ category: 'tunnel', exitCode: 6 });
    expect((error as Error).message).toMatch(/could not connect to the tunnel server: connection refused/);
    expect(call.abandoned).toBe(true);
  });

  it('gives up after the registration timeout, says what the server said, and names the fixes', async () => {
    const closedPort = await freePort();
    const pending = open({ host: `http://127.0.0.1:${closedPort}`, registrationTimeoutMs: 100 });
    const error = (await pending.catch((e: unknown) => e)) as SendtalkVerifyError;
    expect(error).toBeInstanceOf(SendtalkVerifyError);
    expect(error.exitCode).toBe(6);
    expect(error.message).toContain(`http://127.0.0.1:${closedPort} did not register one within 100 ms (connection refused)`);
    expect(error.hint).toMatch(/SENDTALK_TUNNEL_HOST/);
    expect(error.hint).toMatch(/--tunnel URL/);
    expect(server.calls[0]!.abandoned).toBe(true);
  });

  it('stops opening when interrupted', async () => {
    const controller = new AbortController();
    const pending = open({ signal: controller.signal });
    await server.call(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ category: 'interrupted' });
    expect(server.calls[0]!.abandoned).toBe(true);
  });

  it('refuses a subdomain no server accepts before asking one', async () => {
    await expect(open({ subdomain: 'Acme_Dev' })).rejects.toMatchObject({ category: 'usage' });
    expect(server.calls).toHaveLength(0);
  });
});

describe('drops and re-opening', () => {
  it('does not count a brief gap between connections as a drop', async () => {
    const pending = open();
    const call = await server.up(1, 'quiet-fox');
    handle = await pending;
    call.listener.connections(0);
    await pause(10);
    call.listener.connections(1);
    await pause(150);
    expect(events.filter((e) => e.type === 'down')).toEqual([]);
    expect(server.calls).toHaveLength(1);
  });

  it('re-registers after a lasting drop, asking for the same name, and says whether the URL changed', async () => {
    const pending = open({ sameNameRetry: { tries: 2, delayMs: 10 } });
    const first = await server.up(1, 'quiet-fox');
    handle = await pending;
    first.listener.connections(0);

    const second = await server.call(2);
    expect(first.closed).toBe(true);
    expect(second.request.subdomain).toBe('quiet-fox');
    expect(ofType('down')).toEqual([
      { type: 'down', reason: 'lost every connection to the tunnel server', url: 'https://quiet-fox.tunnel.test', retryInMs: 40 },
    ]);
    await server.up(2, 'quiet-fox');
    await until(() => ofType('reopened').length === 1, 'reopened');
    expect(ofType('reopened')[0]).toEqual({
      type: 'reopened',
      url: 'https://quiet-fox.tunnel.test',
      previousUrl: 'https://quiet-fox.tunnel.test',
      changed: false,
    });

    second.listener.connections(0);
    const third = await server.call(3);
    await server.up(3, 'other-name');
    // Another name is given back, and the same one asked for again (the server may free it soon).
    const fourth = await server.call(4);
    expect(third.closed).toBe(true);
    expect(fourth.request.subdomain).toBe('quiet-fox');
    expect(ofType('reopened')).toHaveLength(1);
    // Given another name again, after the tries allowed: that one is kept, and announced.
    await server.up(4, 'other-name');
    await until(() => ofType('reopened').length === 2, 'second reopened');
    expect(third.request.subdomain).toBe('quiet-fox');
    expect(ofType('reopened')[1]).toMatchObject({ url: 'https://other-name.tunnel.test', changed: true });
    expect(handle.url).toBe('https://other-name.tunnel.test');
  });

  it('keeps asking for the subdomain the user chose', async () => {
    const pending = open({ subdomain: 'acme-otp-dev' });
    const first = await server.up(1, 'random-1');
    handle = await pending;
    first.listener.connections(0);
    const second = await server.call(2);
    expect(second.request.subdomain).toBe('acme-otp-dev');
  });

  it('backs off between drops that come quickly, up to the cap', async () => {
    const pending = open();
    let call = await server.up(1, 'quiet-fox');
    handle = await pending;
    for (let n = 2; n <= 5; n++) {
      call.listener.connections(0);
      call = await server.up(n, 'quiet-fox');
      await until(() => ofType('reopened').length === n - 1, `reopen ${n}`);
    }
    expect(ofType('down').map((e) => e.retryInMs)).toEqual([40, 80, 160, 160]);
  });

  it('backs off further after each failed re-registration, up to the cap', async () => {
    const pending = open();
    const call = await server.up(1, 'quiet-fox');
    handle = await pending;
    call.listener.connections(0);
    for (let n = 2; n <= 5; n++) (await server.call(n)).refuse(new Error('server said no'));
    await until(() => ofType('error').length === 4, 'four failed re-registrations');
    expect(ofType('error').map((e) => /next try in (.+)$/.exec(e.message)?.[1])).toEqual(['80 ms', '160 ms', '160 ms', '160 ms']);
  });

  it('re-opens at once after a drop of a tunnel that had been up for a while', async () => {
    const pending = open({ stableAfterMs: 0 });
    const call = await server.up(1, 'quiet-fox');
    handle = await pending;
    call.listener.connections(0);
    await server.call(2);
    expect(ofType('down')[0]!.retryInMs).toBe(0);
  });

  it('retries a re-registration whose connections fail, and reports that it is still down', async () => {
    const pending = open({ stillDownEveryMs: 30 });
    const first = await server.up(1, 'quiet-fox');
    handle = await pending;
    first.listener.connections(0);
    const second = await server.call(2);
    second.register('quiet-fox');
    await tick();
    second.listener.error(new Error('connection refused'));
    const third = await server.call(3);
    expect(second.abandoned).toBe(true);
    expect(third.request.subdomain).toBe('quiet-fox');
    await until(() => ofType('still-down').length > 0, 'still-down');
    await server.up(3, 'quiet-fox');
    await until(() => ofType('reopened').length === 1, 'reopened');
  });

  it('stops re-opening when closed, abandoning the pending registration; close is safe twice', async () => {
    const pending = open();
    const first = await server.up(1, 'quiet-fox');
    handle = await pending;
    first.listener.connections(0);
    const second = await server.call(2);
    await handle.close();
    await handle.close();
    expect(second.abandoned).toBe(true);
    await pause(200);
    expect(server.calls).toHaveLength(2);
  });

  it('does not treat the connections closing on close() as a drop', async () => {
    const pending = open();
    const call = await server.up(1, 'quiet-fox');
    handle = await pending;
    await handle.close();
    call.listener.connections(0);
    await pause(150);
    expect(ofType('down')).toEqual([]);
    expect(call.closed).toBe(true);
  });
});

describe('reopenDelayMs', () => {
  it('is nothing for the first try, then doubles up to the cap', () => {
    const backoff = { initialMs: 1000, maxMs: 30_000 };
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((n) => reopenDelayMs(n, backoff))).toEqual([0, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });
});

describe('a server that closes every connection as soon as it opens', () => {
  it('is a drop, re-registered with growing backoff, not a reconnect loop', async () => {
    const pending = open();
    const first = await server.up(1, 'quiet-fox');
    handle = await pending;
    // localtunnel replaces each closed connection at once: open, close, open, close…
    for (let i = 0; i < 200 && ofType('down').length === 0; i++) {
      first.listener.connections(0);
      first.listener.connections(1);
    }
    expect(ofType('down')).toEqual([
      { type: 'down', reason: 'the tunnel server closes every connection as soon as it opens', url: 'https://quiet-fox.tunnel.test', retryInMs: 40 },
    ]);
    expect(first.closed).toBe(true);
    // The same again after re-registering: the wait before the next try doubles.
    const second = await server.up(2, 'quiet-fox');
    for (let i = 0; i < 200 && ofType('down').length === 1; i++) {
      second.listener.connections(0);
      second.listener.connections(1);
    }
    expect(ofType('down').map((e) => e.retryInMs)).toEqual([40, 80]);
  });

  it('leaves alone a connection replaced after each request it carried', async () => {
    const pending = open();
    const call = await server.up(1, 'quiet-fox');
    handle = await pending;
    for (let i = 0; i < 200; i++) {
      call.listener.request('POST', '/webhook');
      call.listener.connections(0);
      call.listener.connections(1);
    }
    expect(ofType('down')).toEqual([]);
  });
});
