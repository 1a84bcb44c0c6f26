import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Delivery, ListenerOptions } from '../../src/webhook/delivery.js';
import { checkHead, createListenerState, isProbe } from '../../src/webhook/request.js';

/** What the listener refuses from a request head alone, and the probe it answers: exact answers. */
const SECRET = 'checks-secret-0123456789';

interface Head {
  method?: string;
  url?: string;
  headers?: Array<[string, string]>;
}

/** A request head as node:http gives it: raw header pairs as sent, and `headers` lower-cased. */
function fakeRequest(head: Head): IncomingMessage {
  const { method = 'POST', headers = [] } = head;
  const url = 'url' in head ? head.url : '/webhook';
  const lower: Record<string, string> = {};
  for (const [name, value] of headers) lower[name.toLowerCase()] = value;
  return { method, url, rawHeaders: headers.flat(), headers: lower } as unknown as IncomingMessage;
}

function delivery(): Delivery {
  return { seq: 1, receivedAt: '', method: 'POST', path: '/webhook', accepted: false, status: 0, headers: {}, body: Buffer.alloc(0) };
}

const signed: Array<[string, string]> = [
  ['X-Secret-Key', SECRET],
  ['Content-Type', 'application/json'],
];

function check(head: Head, options: ListenerOptions = { secret: SECRET }, d = delivery()): ReturnType<typeof checkHead> {
  return checkHead(createListenerState(options), fakeRequest(head), d);
}

describe('isProbe', () => {
  const probe = (url: string | undefined, header: string | undefined): IncomingMessage =>
    ({ url, headers: header === undefined ? {} : { 'x-sendtalk-verify-probe': header } }) as unknown as IncomingMessage;

  it('is the token in the probe header on the listener path, query or not', () => {
    expect(isProbe(probe('/webhook', 'tok-1'), '/webhook', 'tok-1')).toBe(true);
    expect(isProbe(probe('/webhook?x=1', 'tok-1'), '/webhook', 'tok-1')).toBe(true);
    expect(isProbe(probe(undefined, 'tok-1'), '/', 'tok-1')).toBe(true);
  });

  it('is not another token, another path, no header, or a listener without a token', () => {
    expect(isProbe(probe('/webhook', 'tok-2'), '/webhook', 'tok-1')).toBe(false);
    expect(isProbe(probe('/other', 'tok-1'), '/webhook', 'tok-1')).toBe(false);
    expect(isProbe(probe(undefined, 'tok-1'), '/webhook', 'tok-1')).toBe(false);
    expect(isProbe(probe('/webhook', undefined), '/webhook', 'tok-1')).toBe(false);
    expect(isProbe(probe('/webhook', undefined), '/webhook', undefined)).toBe(false);
  });

  it('is never an empty token, even when the header is sent empty', () => {
    expect(isProbe(probe('/webhook', ''), '/webhook', '')).toBe(false);
  });
});

describe('checkHead', () => {
  it('lets a signed JSON POST to the path through', () => {
    expect(check({ headers: signed })).toBeUndefined();
    expect(check({ url: '/webhook?attempt=2', headers: signed })).toBeUndefined();
  });

  it('allows exactly maxHeadersCount headers and refuses one more, before anything else', () => {
    const limits = { maxHeadersCount: 3 };
    expect(check({ headers: [...signed, ['A', '1']] }, { secret: SECRET, limits })).toBeUndefined();
    expect(check({ method: 'GET', url: '/x', headers: [...signed, ['A', '1'], ['B', '2']] }, { secret: SECRET, limits })).toEqual([
      431,
      'too-many-headers',
      'more than 3 headers',
    ]);
  });

  it('refuses another path, naming both paths, with the query left out', () => {
    expect(check({ url: '/other?secret=1', headers: signed })).toEqual([404, 'not-found', 'nothing listens at /other; deliveries go to /webhook']);
    expect(check({ url: undefined, headers: signed })).toEqual([404, 'not-found', 'nothing listens at /; deliveries go to /webhook']);
  });

  it('masks the secret in a wrong path and cuts a long one to 80 characters', () => {
    expect(check({ url: `/hooks/${SECRET}`, headers: signed })).toEqual([404, 'not-found', 'nothing listens at /hooks/[redacted]; deliveries go to /webhook']);
    const long = `/${'a'.repeat(100)}`;
    expect(check({ url: long, headers: signed }, {})).toEqual([404, 'not-found', `nothing listens at ${long.slice(0, 80)}…; deliveries go to /webhook`]);
  });

  it('refuses another method before the secret, with an Allow header', () => {
    expect(check({ method: 'PUT', headers: [] })).toEqual([405, 'method-not-allowed', 'PUT is not allowed; SendTalk delivers with POST', { allow: 'POST' }]);
  });

  it('refuses a wrong secret, naming the headers it is read from', () => {
    expect(check({ headers: [['X-Secret-Key', 'nope']] })).toEqual([
      401,
      'secret-mismatch',
      'the X-Secret-Key or Secret-Key header does not match the configured secret',
    ]);
    expect(check({ headers: [['Webhook-Token', 'nope']] }, { secret: SECRET, secretHeader: 'Webhook-Token' })).toEqual([
      401,
      'secret-mismatch',
      'the Webhook-Token header does not match the configured secret',
    ]);
  });

  it('refuses a missing secret, listing the header names that came, each once, lower-cased', () => {
    expect(
      check({
        headers: [
          ['Content-Type', 'application/json'],
          ['X-Trace', 'a'],
          ['x-trace', 'b'],
        ],
      }),
    ).toEqual([401, 'secret-missing', 'no X-Secret-Key or Secret-Key header (headers that came: content-type, x-trace)']);
    expect(check({ headers: [] })).toEqual([401, 'secret-missing', 'no X-Secret-Key or Secret-Key header (headers that came: none)']);
  });

  it('lists at most 20 header names, each cut to 40 characters', () => {
    const twenty = Array.from({ length: 20 }, (_, i): [string, string] => [`h${i}`, 'v']);
    expect(check({ headers: twenty })).toEqual([
      401,
      'secret-missing',
      `no X-Secret-Key or Secret-Key header (headers that came: ${twenty.map(([n]) => n).join(', ')})`,
    ]);
    const many = Array.from({ length: 21 }, (_, i): [string, string] => [`h${i}`, 'v']);
    expect(check({ headers: many })).toEqual([
      401,
      'secret-missing',
      `no X-Secret-Key or Secret-Key header (headers that came: ${twenty.map(([n]) => n).join(', ')}, …)`,
    ]);
    const longName = `x-${'n'.repeat(50)}`;
    expect(check({ headers: [[longName, 'v']] })).toEqual([
      401,
      'secret-missing',
      `no X-Secret-Key or Secret-Key header (headers that came: ${longName.slice(0, 40)}…)`,
    ]);
  });

  it('says where a secret sent elsewhere came, and records it on the delivery', () => {
    const d = delivery();
    expect(check({ headers: [['X-Webhook-Secret', SECRET]] }, { secret: SECRET }, d)).toEqual([
      401,
      'secret-missing',
      'no X-Secret-Key or Secret-Key header; the secret came in X-Webhook-Secret: set SENDTALK_SECRET_HEADER=X-Webhook-Secret',
    ]);
    expect(d.secretLocation).toEqual({ in: 'header', name: 'X-Webhook-Secret' });
    const q = delivery();
    expect(check({ url: `/webhook?key=${SECRET}`, headers: [] }, { secret: SECRET }, q)?.[2]).toMatch(
      /^no X-Secret-Key or Secret-Key header; the secret came in the query string \(parameter key\)/,
    );
    expect(q.secretLocation).toEqual({ in: 'query', name: 'key' });
    const none = delivery();
    check({ headers: [] }, { secret: SECRET }, none);
    expect(none.secretLocation).toBeUndefined();
  });

  it('does not check a secret when none is configured', () => {
    expect(check({ headers: [['Content-Type', 'application/json']] }, {})).toBeUndefined();
  });

  it.each([
    'application/json',
    'Application/JSON',
    '  application/json  ',
    'application/json; charset=utf-8',
    'application/json ;charset=utf-8',
    'application/vnd.sendtalk+json',
    'application/cloudevents-batch+json; charset=utf-8',
  ])('accepts the JSON content type %j', (type) => {
    expect(check({ headers: [['Content-Type', type]] }, {})).toBeUndefined();
  });

  it.each(['application/jsonp', 'application/json-patch', 'text/application/json', 'application/x-www-form-urlencoded', 'application/+json', 'text/json'])(
    'refuses the content type %j',
    (type) => {
      expect(check({ headers: [['Content-Type', type]] }, {})).toEqual([415, 'unsupported-media-type', `content type ${type} is not JSON`]);
    },
  );

  it('cuts a long content type to 60 characters in the refusal', () => {
    const type = `text/${'x'.repeat(80)}`;
    expect(check({ headers: [['Content-Type', type]] }, {})).toEqual([415, 'unsupported-media-type', `content type ${type.slice(0, 60)}… is not JSON`]);
  });

  it('refuses a declared length over the body limit, and allows one at it', () => {
    const options = { maxBodyBytes: 1024 };
    expect(check({ headers: [['Content-Length', '1024']] }, options)).toBeUndefined();
    expect(check({ headers: [['Content-Length', '1025']] }, options)).toEqual([413, 'too-large', 'body of 1025 bytes is over the 1024-byte limit']);
    expect(check({ headers: [['Transfer-Encoding', 'chunked']] }, options)).toBeUndefined();
  });
});
