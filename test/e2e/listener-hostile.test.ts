import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startListener, type ListenerHandle } from '../../src/webhook/listener.js';
import { head, rawRequest, type RawAnswer } from '../helpers/raw-http.js';

const SECRET = 'hostile-suite-secret-0042';
let listener: ListenerHandle;
let port: number;

beforeAll(async () => {
  // Short timeouts so slow-client cases end quickly; the defaults are documented in LISTENER_LIMITS.
  listener = await startListener({ secret: SECRET, limits: { headersTimeoutMs: 600, requestTimeoutMs: 1200, checkIntervalMs: 200 } });
  port = listener.port;
});
afterAll(async () => {
  await listener.close();
});

const json = (body: string | Buffer, extra: Array<[string, string | number]> = []): Array<string | Buffer> => [
  head(
    'POST /webhook HTTP/1.1',
    [['Content-Type', 'application/json'], ['Secret-Key', SECRET], ['Content-Length', Buffer.byteLength(body)], ['Connection', 'close'], ...extra],
    port,
  ),
  body,
];
const post = (path: string, headers: Array<[string, string | number]>, body = '{}'): Array<string | Buffer> => [
  head(`POST ${path} HTTP/1.1`, [...headers, ['Content-Length', Buffer.byteLength(body)], ['Connection', 'close']], port),
  body,
];
const signed: Array<[string, string]> = [
  ['Content-Type', 'application/json'],
  ['Secret-Key', SECRET],
];
const nested = (depth: number): string => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;

type Expect = number | '4xx' | '4xx-or-closed' | 'timeout';
interface HostileCase {
  name: string;
  send: () => Array<string | Buffer | { pauseMs: number }>;
  expect: Expect;
  waitMs?: number;
}

const cases: HostileCase[] = [
  // Bodies
  { name: 'body of 5 MB with Content-Length', send: () => json(Buffer.alloc(5 * 1024 * 1024, 'a')), expect: 413 },
  {
    name: 'chunked body over the limit, no length',
    send: () => [
      head('POST /webhook HTTP/1.1', [...signed, ['Transfer-Encoding', 'chunked']], port),
      ...Array.from({ length: 40 }, () => `1000\r\n${'x'.repeat(4096)}\r\n`),
      '0\r\n\r\n',
    ],
    expect: '4xx-or-closed',
  },
  { name: 'huge JSON string (1 MB)', send: () => json(`{"a":"${'x'.repeat(1024 * 1024)}"}`), expect: 413 },
  { name: 'truncated JSON', send: () => json('{"verificationID":"v1","userPh'), expect: 400 },
  { name: 'JSON with trailing garbage', send: () => json('{"a":1} trailing'), expect: 400 },
  { name: 'single quotes (not JSON)', send: () => json("{'a':1}"), expect: 400 },
  { name: 'empty body', send: () => json(''), expect: 400 },
  { name: 'invalid UTF-8 bytes', send: () => json(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])), expect: 400 },
  { name: 'JSON array', send: () => json('[{"verificationID":"v1"}]'), expect: 400 },
  { name: 'JSON number', send: () => json('42'), expect: 400 },
  { name: 'JSON null', send: () => json('null'), expect: 400 },
  { name: 'JSON string', send: () => json('"verified"'), expect: 400 },
  { name: 'JSON true', send: () => json('true'), expect: 400 },
  { name: 'deep nesting (20,000 levels)', send: () => json(nested(20_000)), expect: 400 },
  { name: 'nesting just over the depth limit', send: () => json(nested(70)), expect: 400 },
  // Content types
  {
    name: 'form content type',
    send: () =>
      post(
        '/webhook',
        [
          ['Content-Type', 'application/x-www-form-urlencoded'],
          ['Secret-Key', SECRET],
        ],
        'a=1',
      ),
    expect: 415,
  },
  {
    name: 'multipart content type',
    send: () =>
      post(
        '/webhook',
        [
          ['Content-Type', 'multipart/form-data; boundary=x'],
          ['Secret-Key', SECRET],
        ],
        '--x--',
      ),
    expect: 415,
  },
  {
    name: 'text/html content type',
    send: () =>
      post(
        '/webhook',
        [
          ['Content-Type', 'text/html'],
          ['Secret-Key', SECRET],
        ],
        '<p>hi</p>',
      ),
    expect: 415,
  },
  {
    name: 'application/xml content type',
    send: () =>
      post(
        '/webhook',
        [
          ['Content-Type', 'application/xml'],
          ['Secret-Key', SECRET],
        ],
        '<a/>',
      ),
    expect: 415,
  },
  { name: 'no content type and a non-JSON body', send: () => post('/webhook', [['Secret-Key', SECRET]], 'hello'), expect: 400 },
  // Methods and paths
  ...['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'].map(
    (method): HostileCase => ({
      name: `method ${method}`,
      send: () => [head(`${method} /webhook HTTP/1.1`, [...signed, ['Content-Length', 2], ['Connection', 'close']], port), '{}'],
      expect: 405,
    }),
  ),
  { name: 'method CONNECT', send: () => [head(`CONNECT 127.0.0.1:${port} HTTP/1.1`, [], port)], expect: '4xx-or-closed' },
  { name: 'unknown path', send: () => post('/admin', signed), expect: 404 },
  { name: 'path traversal', send: () => post('/webhook/../admin', signed), expect: 404 },
  { name: 'encoded traversal', send: () => post('/%2e%2e/webhook', signed), expect: 404 },
  { name: 'double slash', send: () => post('//webhook', signed), expect: 404 },
  { name: 'path with a NUL byte', send: () => post('/webhook%00', signed), expect: 404 },
  {
    name: 'absolute-form URL to another host',
    send: () => [head('POST http://evil.example/webhook HTTP/1.1', [...signed, ['Content-Length', 2], ['Connection', 'close']], port), '{}'],
    expect: '4xx',
  },
  // Headers
  { name: 'headers over 16 KiB', send: () => post('/webhook', [...signed, ['X-Big', 'x'.repeat(20_000)]]), expect: 431 },
  {
    name: '500 repeated headers',
    send: () => post('/webhook', [...signed, ...Array.from({ length: 500 }, (_, i): [string, string] => [`X-H${i}`, 'v'])]),
    expect: '4xx',
  },
  {
    name: 'Content-Length and Transfer-Encoding together',
    send: () => [head('POST /webhook HTTP/1.1', [...signed, ['Content-Length', 2], ['Transfer-Encoding', 'chunked']], port), '0\r\n\r\n'],
    expect: 400,
  },
  { name: 'negative Content-Length', send: () => [head('POST /webhook HTTP/1.1', [...signed, ['Content-Length', -5]], port), '{}'], expect: 400 },
  {
    name: 'invalid chunk size',
    send: () => [head('POST /webhook HTTP/1.1', [...signed, ['Transfer-Encoding', 'chunked']], port), 'zz\r\n{}\r\n0\r\n\r\n'],
    expect: 400,
  },
  { name: 'garbage instead of HTTP', send: () => ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n'], expect: 400 },
  // The secret
  { name: 'no secret header', send: () => post('/webhook', [['Content-Type', 'application/json']]), expect: 401 },
  {
    name: 'empty secret header',
    send: () =>
      post('/webhook', [
        ['Content-Type', 'application/json'],
        ['Secret-Key', ''],
      ]),
    expect: 401,
  },
  {
    name: 'wrong secret',
    send: () =>
      post('/webhook', [
        ['Content-Type', 'application/json'],
        ['Secret-Key', 'hostile-suite-secret-0043'],
      ]),
    expect: 401,
  },
  {
    name: 'secret with a trailing space',
    send: () =>
      post('/webhook', [
        ['Content-Type', 'application/json'],
        ['Secret-Key', `${SECRET} x`],
      ]),
    expect: 401,
  },
  {
    name: 'very long secret (8 KB)',
    send: () =>
      post('/webhook', [
        ['Content-Type', 'application/json'],
        ['Secret-Key', 'k'.repeat(8000)],
      ]),
    expect: 401,
  },
  {
    name: 'secret in another encoding (latin1 bytes)',
    send: () => [
      Buffer.from(
        head(
          'POST /webhook HTTP/1.1',
          [
            ['Content-Type', 'application/json'],
            ['Secret-Key', 'h\xf6stile-suite-secret-0042'],
            ['Content-Length', 2],
            ['Connection', 'close'],
          ],
          port,
        ),
        'latin1',
      ),
      '{}',
    ],
    expect: 401,
  },
  {
    name: 'secret header repeated',
    send: () =>
      post('/webhook', [
        ['Content-Type', 'application/json'],
        ['Secret-Key', SECRET],
        ['Secret-Key', SECRET],
      ]),
    expect: 401,
  },
  {
    name: 'secret under another header name',
    send: () =>
      post('/webhook', [
        ['Content-Type', 'application/json'],
        ['X-Webhook-Token', SECRET],
      ]),
    expect: 401,
  },
  // Slow and broken clients
  {
    name: 'slow client that never finishes its headers',
    send: () => ['POST /webhook HTTP/1.1\r\nHost: x\r\n', { pauseMs: 2500 }],
    expect: 'timeout',
    waitMs: 4000,
  },
  {
    name: 'slow client that never finishes its body',
    send: () => [head('POST /webhook HTTP/1.1', [...signed, ['Content-Length', 100]], port), '{"a":', { pauseMs: 3000 }],
    expect: 'timeout',
    waitMs: 4500,
  },
  {
    name: 'a second request after a partial body',
    send: () => [head('POST /webhook HTTP/1.1', [...signed, ['Content-Length', 50]], port), '{"a":1', ...json('{"verificationID":"smuggled"}')],
    expect: '4xx-or-closed',
    waitMs: 4500,
  },
  {
    name: 'upgrade to WebSocket',
    send: () => [
      head(
        'GET /webhook HTTP/1.1',
        [
          ['Upgrade', 'websocket'],
          ['Connection', 'Upgrade'],
          ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
          ['Sec-WebSocket-Version', 13],
        ],
        port,
      ),
    ],
    expect: '4xx-or-closed',
  },
];

function judge(answer: RawAnswer, expected: Expect): boolean {
  if (typeof expected === 'number') return answer.status === expected;
  const is4xx = answer.status !== undefined && answer.status >= 400 && answer.status < 500;
  if (expected === '4xx') return is4xx;
  if (expected === '4xx-or-closed') return is4xx || (answer.closed && answer.status === undefined);
  // A stalled request must be ended by the server (408, or the connection closed), never accepted.
  return answer.closed && (answer.status === undefined || answer.status === 408 || answer.status === 400);
}

describe('the listener under hostile input', () => {
  it(`has at least 40 hostile kinds (has ${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases.map((c) => [c.name, c] as const))('refuses: %s', async (_name, c) => {
    const answer = await rawRequest(port, c.send(), c.waitMs ?? 3000);
    expect(judge(answer, c.expect), `got ${answer.status ?? (answer.closed ? 'closed' : 'nothing')} for ${c.name}:\n${answer.text.slice(0, 300)}`).toBe(true);
    expect(answer.text).not.toContain(SECRET);
  });

  it('never accepted any of them', () => {
    expect(listener.accepted).toHaveLength(0);
  });

  it('survives a flood of 300 idle connections and still accepts a good delivery', async () => {
    const sockets: Socket[] = await Promise.all(
      Array.from(
        { length: 300 },
        () =>
          new Promise<Socket>((resolve) => {
            const s = connect(port, '127.0.0.1', () => resolve(s));
            s.on('error', () => resolve(s));
          }),
      ),
    );
    try {
      const answer = await rawRequest(port, json('{"verificationID":"after-flood"}'));
      expect(answer.status).toBe(200);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  it('still accepts a good delivery after the whole suite', async () => {
    const answer = await rawRequest(port, json('{"verificationID":"good","userPhone":"6281234567890"}'));
    expect(answer.status).toBe(200);
    expect(listener.accepted.map((d) => d.verificationId)).toContain('good');
  });

  it('does not let a __proto__ payload touch Object.prototype', async () => {
    const answer = await rawRequest(port, json('{"__proto__":{"polluted":true},"verificationID":"proto"}'));
    expect(answer.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
