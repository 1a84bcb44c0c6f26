import { request } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startListener, type Delivery, type ListenerHandle, type ListenerOptions } from '../../src/webhook/listener.js';
import { SendtalkVerifyError } from '../../src/errors.js';
import { head, rawRequest } from '../helpers/raw-http.js';
import { until } from '../helpers/until.js';
import { socketsDestroyedAfterEach } from '../helpers/raw-sockets.js';

/** The listener as a server: its lifecycle, its server limits, and what each request leaves behind. */
const SECRET = 'server-secret-0123456789';
const signed = { 'x-secret-key': SECRET, 'content-type': 'application/json' };
let listeners: ListenerHandle[] = [];
let blocker: TcpServer | undefined;

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  blocker = undefined;
});

async function listen(options: ListenerOptions = {}): Promise<ListenerHandle & { seen: Delivery[] }> {
  const seen: Delivery[] = [];
  const listener = await startListener({ onDelivery: (d) => seen.push(d), ...options });
  listeners.push(listener);
  return Object.assign(listener, { seen });
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
function send(listener: ListenerHandle, options: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: listener.port, path: options.path ?? '/webhook', method: options.method ?? 'POST', headers: options.headers, agent: false },
      (res) => {
        let body = '';
        res
          .setEncoding('utf8')
          .on('data', (c: string) => {
            body += c;
          })
          .on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const open = socketsDestroyedAfterEach();
/** Sends one request on a kept-alive socket and resolves with the answer once it is whole (or the socket closed). */
function exchange(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const done = (): void => {
      socket.off('data', onData);
      resolve(got);
    };
    const onData = (d: Buffer): void => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(got)?.[1] ?? 0);
      if (end >= 0 && got.length >= end + 4 + length) done();
    };
    socket.on('data', onData);
    socket.once('close', done);
    socket.write(text);
  });
}
const connectionCount = (listener: ListenerHandle, n: number): Promise<boolean> =>
  new Promise((resolve) => listener.server.getConnections((_e, count) => resolve(count === n)));
const closed = (socket: Socket): Promise<void> => new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

describe('startListener binding', () => {
  it('binds 127.0.0.1 by default and brackets an IPv6 host in its URL', async () => {
    const v4 = await listen();
    expect([v4.host, v4.path, v4.url]).toEqual(['127.0.0.1', '/webhook', `http://127.0.0.1:${v4.port}/webhook`]);
    expect(v4.port).toBeGreaterThan(0);
    const v6 = await listen({ host: '::1', path: 'hooks/' });
    expect(v6.url).toBe(`http://[::1]:${v6.port}/hooks`);
  });

  it('says a port in use is a usage error, with the fix', async () => {
    blocker = createTcpServer();
    const port = await new Promise<number>((resolve) => blocker!.listen(0, '127.0.0.1', () => resolve((blocker!.address() as { port: number }).port)));
    const error = await startListener({ port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendtalkVerifyError);
    expect(error).toMatchObject({
      category: 'usage',
      message: `Port ${port} on 127.0.0.1 is already in use.`,
      hint: 'Pass another --port, or omit it to pick a free one.',
    });
  });

  it.each([
    ['an address of another machine', '10.255.255.254'],
    ['a name that does not resolve', 'no-such-host.invalid'],
  ])('says %s is no local address', async (_name, host) => {
    const error = await startListener({ host }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      category: 'usage',
      message: `Cannot listen on ${host}: no such local address.`,
      hint: "Listen on 127.0.0.1 or another address of this machine (SENDTALK_LISTEN_HOST, or the emulator's --host).",
    });
  });

  it('says any other failure is internal, keeping the cause', async () => {
    const error = (await startListener({ port: 70_000 }).catch((e: unknown) => e)) as SendtalkVerifyError;
    expect(error).toMatchObject({ category: 'internal' });
    expect(error.message).toMatch(/^Could not start the webhook listener: .*70000/);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ERR_SOCKET_BAD_PORT');
  });
});

describe('server limits', () => {
  it('answers CONNECT 405 with Allow: POST', async () => {
    const listener = await listen();
    const answer = await rawRequest(listener.port, [head(`CONNECT 127.0.0.1:${listener.port} HTTP/1.1`, [], listener.port)]);
    expect(answer.text).toBe('HTTP/1.1 405 Method Not Allowed\r\nAllow: POST\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  it('sees every header up to the limit, and refuses one more instead of dropping it', async () => {
    const listener = await listen({ limits: { maxHeadersCount: 5 } });
    // With `host`, `connection` and `content-length` that node:http adds: 5, then 6 headers.
    const two = { 'content-type': 'application/json', 'x-a': '1' };
    expect((await send(listener, { headers: two, body: '{}' })).status).toBe(200);
    expect(listener.seen[0]!.headers).toEqual({ ...two, host: `127.0.0.1:${listener.port}`, connection: 'close', 'content-length': '2' });
    const res = await send(listener, { headers: { ...two, 'x-b': '2' }, body: '{}' });
    expect([res.status, JSON.parse(res.body)]).toEqual([431, { error: 'too many headers', reason: 'too-many-headers' }]);
  });

  it('refuses a head over maxHeaderBytes', async () => {
    const listener = await listen({ limits: { maxHeaderBytes: 2048 } });
    expect((await send(listener, { headers: { 'x-big': 'b'.repeat(1000) }, body: '{}' })).status).toBe(200);
    const answer = await rawRequest(listener.port, [
      head(
        'POST /webhook HTTP/1.1',
        [
          ['X-Big', 'b'.repeat(4000)],
          ['Content-Length', 2],
        ],
        listener.port,
      ),
      '{}',
    ]);
    expect(answer.status).toBe(431);
  });

  it('answers 408 to a head that never ends, within the headers time-out', async () => {
    const listener = await listen({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 5000, checkIntervalMs: 100 } });
    const started = Date.now();
    const answer = await rawRequest(listener.port, ['POST /webhook HTTP/1.1\r\nHost: x\r\n'], 4000);
    expect(answer.status).toBe(408);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('answers 408 to a body that never ends, within the request time-out', async () => {
    const listener = await listen({ limits: { headersTimeoutMs: 200, requestTimeoutMs: 400, checkIntervalMs: 100 } });
    const started = Date.now();
    const answer = await rawRequest(listener.port, [head('POST /webhook HTTP/1.1', [['Content-Length', 10]], listener.port), '{'], 4000);
    expect(answer.status).toBe(408);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('closes an idle keep-alive connection after keepAliveTimeoutMs', async () => {
    const listener = await listen({ limits: { keepAliveTimeoutMs: 200 } });
    const socket = await open(listener.port);
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    socket.write(head('POST /webhook HTTP/1.1', [['Content-Length', 2]], listener.port) + '{}');
    const started = Date.now();
    await closed(socket);
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('what each request leaves behind', () => {
  it('records an accepted delivery: its facts, and only the facts it has', async () => {
    const listener = await listen({ secret: SECRET });
    const body = JSON.stringify({ data: { verificationID: 'v-1', userPhone: '6281234567890', status: 'verified' } });
    const res = await send(listener, { path: '/webhook?attempt=1', headers: signed, body });
    // TapTalk's own endpoints answer {"success":true}; "ok" stays, as promised before.
    expect([res.status, res.body, res.headers.connection]).toEqual([200, '{"success":true,"ok":true}', 'close']);
    const d = listener.seen[0]!;
    expect(d).toMatchObject({
      seq: 1,
      method: 'POST',
      path: '/webhook?attempt=1',
      accepted: true,
      status: 200,
      secretCheck: 'ok',
      verificationId: 'v-1',
      phone: '6281234567890',
      payloadStatus: 'verified',
      payload: JSON.parse(body),
    });
    expect(d.payloadStatusFrom).toEqual(expect.any(String));
    expect(d.body.toString()).toBe(body);
    expect(d.receivedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(d.headers['x-secret-key']).toBe('[redacted]');
    const bare = await listen();
    await send(bare, { headers: { 'content-type': 'application/json' }, body: '{"other":1}' });
    expect(Object.keys(bare.seen[0]!).sort()).toEqual([
      'accepted',
      'body',
      'headers',
      'method',
      'path',
      'payload',
      'receivedAt',
      'secretCheck',
      'seq',
      'status',
    ]);
    expect(bare.seen[0]!.secretCheck).toBe('skipped');
  });

  it('records a refusal with its detail, the body it read, and the secret masked in the path', async () => {
    const listener = await listen({ secret: SECRET, limits: { maxJsonDepth: 2 } });
    await send(listener, { path: `/hook/${SECRET}`, headers: signed, body: '{}' });
    expect(listener.seen[0]).toMatchObject({
      seq: 1,
      accepted: false,
      status: 404,
      reason: 'not-found',
      path: '/hook/[redacted]',
      detail: 'nothing listens at /hook/[redacted]; deliveries go to /webhook',
    });
    expect(listener.seen[0]!.body).toEqual(Buffer.alloc(0));
    await send(listener, { headers: signed, body: '{"a":[[[]]]}' });
    expect(listener.seen[1]).toMatchObject({ seq: 2, status: 400, reason: 'too-deep', detail: 'the body nests more than 2 levels' });
    expect(listener.seen[1]!.body.toString()).toBe('{"a":[[[]]]}');
    const res = await send(listener, { headers: signed, body: '[]' });
    expect(JSON.parse(res.body)).toEqual({ error: 'body must be a JSON object', reason: 'not-object' });
    expect(listener.seen[2]).toMatchObject({ seq: 3, detail: 'the body is JSON array, not an object' });
  });

  it('refuses a chunked body over the limit as it comes, naming the limit', async () => {
    const listener = await listen({ maxBodyBytes: 100 });
    const answer = await rawRequest(listener.port, [
      head(
        'POST /webhook HTTP/1.1',
        [
          ['Transfer-Encoding', 'chunked'],
          ['Connection', 'close'],
        ],
        listener.port,
      ),
      `c8\r\n${'x'.repeat(200)}\r\n0\r\n\r\n`,
    ]);
    expect(answer.status).toBe(413);
    expect(listener.seen[0]).toMatchObject({ status: 413, reason: 'too-large', detail: 'body is over the 100-byte limit' });
    expect(listener.accepted).toEqual([]);
  });

  it('answers a probe with its token, keeps the connection, and counts nothing', async () => {
    const listener = await listen({ probeToken: 'tok-9' });
    const res = await send(listener, { method: 'GET', headers: { 'X-Sendtalk-Verify-Probe': 'tok-9', connection: 'keep-alive' } });
    expect([res.status, JSON.parse(res.body), res.headers.connection]).toEqual([200, { ok: true, probe: 'tok-9' }, 'keep-alive']);
    expect(listener.seen).toEqual([]);
    await send(listener, { headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(listener.seen.map((d) => d.seq)).toEqual([1]);
  });

  it('keeps a connection after one refusal, and cuts at once a refused body declared absurdly long', async () => {
    const listener = await listen({ secret: SECRET, limits: { maxDrainBytes: 1000 } });
    const small = await send(listener, { headers: { 'content-type': 'application/json', connection: 'keep-alive' }, body: '{}' });
    expect([small.status, small.headers.connection]).toEqual([401, 'keep-alive']);
    const socket = await open(listener.port);
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    socket.write(
      head(
        'POST /webhook HTTP/1.1',
        [
          ['Content-Type', 'application/json'],
          ['Content-Length', 5000],
        ],
        listener.port,
      ) + '{',
    );
    await closed(socket);
    expect(text).toMatch(/^HTTP\/1\.1 401 [^]*\r\nconnection: close\r\n/i);
  });

  it.each([
    ['within', 500, 1000],
    ['exactly at', 600, 600],
  ])('drains a refused body declared %s the drain cap, and answers the next request on the connection', async (_where, declared, cap) => {
    const listener = await listen({ secret: SECRET, limits: { maxDrainBytes: cap } });
    const socket = await open(listener.port);
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    socket.write(
      head(
        'POST /webhook HTTP/1.1',
        [
          ['Content-Type', 'application/json'],
          ['Content-Length', declared],
        ],
        listener.port,
      ) + '{',
    );
    await until(() => /^HTTP\/1\.1 401 /.test(text), 'the 401');
    expect(text).not.toMatch(/connection: close/i);
    socket.write(
      `${'x'.repeat(declared - 1)}${head(
        'POST /webhook HTTP/1.1',
        [
          ['X-Secret-Key', SECRET],
          ['Content-Length', 2],
        ],
        listener.port,
      )}{}`,
    );
    await until(() => /HTTP\/1\.1 200 /.test(text), 'the 200 of the second request', { detail: () => text });
    expect(listener.seen.map((d) => d.status)).toEqual([401, 200]);
  });
});

describe('beforeAcknowledge', () => {
  it('answers only once it is done, then counts the delivery', async () => {
    let release!: () => void;
    const order: string[] = [];
    const listener = await listen({
      beforeAcknowledge: (d) =>
        new Promise<void>((resolve) => {
          order.push(`before:${d.seq}`);
          release = resolve;
        }),
      onDelivery: (d) => order.push(`delivered:${d.seq}`),
    });
    const answer = send(listener, { body: '{"verificationID":"v-slow"}' });
    await until(() => order.length === 1, 'beforeAcknowledge to run');
    expect(listener.accepted).toEqual([]);
    release();
    expect((await answer).status).toBe(200);
    expect(order).toEqual(['before:1', 'delivered:1']);
    expect(listener.accepted.map((d) => d.verificationId)).toEqual(['v-slow']);
  });

  it.each([
    ['an Error', new Error('disk full'), 'could not record it: disk full'],
    ['a string', 'quota', 'could not record it: quota'],
    ['undefined', undefined, 'could not record it: undefined'],
  ])('answers 503 when it throws %s, and records why', async (_name, thrown, detail) => {
    const listener = await listen({ beforeAcknowledge: () => Promise.reject(thrown) });
    const res = await send(listener, { body: '{"verificationID":"v-1"}' });
    expect([res.status, JSON.parse(res.body)]).toEqual([503, { error: 'could not record the delivery', reason: 'acknowledge-failed' }]);
    expect(listener.seen[0]).toMatchObject({ accepted: false, status: 503, reason: 'acknowledge-failed', detail });
    expect(listener.accepted).toEqual([]);
  });
});

describe('answered', () => {
  it('resolves at once without trackAnswers', async () => {
    const listener = await listen();
    await send(listener, { body: '{}' });
    await expect(listener.answered(listener.seen[0]!)).resolves.toBeUndefined();
  });

  it('resolves once the answer of a tracked delivery is finished', async () => {
    let release!: () => void;
    let acknowledging: Delivery | undefined;
    const listener = await listen({
      trackAnswers: true,
      beforeAcknowledge: (d) =>
        new Promise<void>((resolve) => {
          acknowledging = d;
          release = resolve;
        }),
    });
    const answer = send(listener, { body: '{}' });
    await until(() => acknowledging, 'beforeAcknowledge to run');
    // Not answered yet: no answer is tracked, so answered resolves at once.
    await expect(listener.answered(acknowledging!)).resolves.toBeUndefined();
    release();
    await answer;
    await expect(listener.answered(listener.seen[0]!)).resolves.toBeUndefined();
  });
});

describe('close', () => {
  it('returns the same promise twice and frees the port', async () => {
    const listener = await listen();
    const first = listener.close();
    expect(listener.close()).toBe(first);
    await first;
    const again = await listen({ port: listener.port });
    expect(again.port).toBe(listener.port);
  });

  it('cuts a connection still in a request after a moment', async () => {
    const listener = await listen();
    const inRequest = new Promise((resolve) => listener.server.once('request', resolve));
    const socket = await open(listener.port);
    socket.write(head('POST /webhook HTTP/1.1', [['Content-Length', 100]], listener.port) + '{');
    await inRequest;
    const started = Date.now();
    await Promise.all([listener.close(), closed(socket)]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('closes idle connections at once', async () => {
    const listener = await listen();
    const socket = await open(listener.port);
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    socket.write(head('POST /webhook HTTP/1.1', [['Content-Length', 2]], listener.port) + '{}');
    await until(() => /^HTTP\/1\.1 200 /.test(text), 'the answer');
    const started = Date.now();
    await Promise.all([listener.close(), closed(socket)]);
    expect(Date.now() - started).toBeLessThan(900);
  });
});

describe('the connection cap', () => {
  it('keeps every connection up to the cap', async () => {
    const listener = await listen({ limits: { maxConnections: 4 } });
    const four: Socket[] = [];
    for (let i = 0; i < 4; i++) four.push(await open(listener.port));
    await until(() => connectionCount(listener, 4), 'four connections');
    // Each one, the oldest first, is still served.
    for (const socket of four)
      expect(await exchange(socket, head('POST /webhook HTTP/1.1', [['Content-Length', 2]], listener.port) + '{}')).toMatch(/^HTTP\/1\.1 200 /);
    expect(four.map((s) => s.destroyed)).toEqual([false, false, false, false]);
  });

  it('closes the oldest idle ones, an eighth of the cap at a time, to make room', async () => {
    const listener = await listen({ limits: { maxConnections: 16 } });
    const idle: Socket[] = [];
    for (let i = 0; i < 16; i++) idle.push(await open(listener.port));
    await until(() => connectionCount(listener, 16), 'sixteen connections');
    const extra = await open(listener.port);
    await closed(idle[0]!);
    await closed(idle[1]!);
    expect((await send(listener, { body: '{}' })).status).toBe(200);
    expect(idle.map((s) => s.destroyed)).toEqual([true, true, ...Array.from({ length: 14 }, () => false)]);
    expect(extra.destroyed).toBe(false);
  });

  it('forgets the connections that closed', async () => {
    const listener = await listen({ limits: { maxConnections: 2 } });
    for (let round = 0; round < 3; round++) {
      const pair = [await open(listener.port), await open(listener.port)];
      for (const s of pair) s.destroy();
      await until(() => connectionCount(listener, 0), 'the connections to close');
    }
    const socket = await open(listener.port);
    socket.write(
      head(
        'POST /webhook HTTP/1.1',
        [
          ['Content-Length', 2],
          ['Connection', 'close'],
        ],
        listener.port,
      ) + '{}',
    );
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    await closed(socket);
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
  });
});
