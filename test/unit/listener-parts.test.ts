import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { capDrain, readBody, sendJson } from '../../src/http/server.js';
import { requestMasker } from '../../src/mask.js';
import { LISTENER_LIMITS, type Delivery } from '../../src/webhook/delivery.js';
import { ACCEPTED_BODY, AcceptedDeliveries, createListenerState, internalError, maskedHeaders } from '../../src/webhook/request.js';

/** The listener's small parts, each through its own exported functions, with exact answers. */
const SECRET = 'parts-secret-0123456789';

function delivery(seq: number, verificationId?: string): Delivery {
  return { seq, receivedAt: '', method: 'POST', path: '/webhook', accepted: true, status: 200, headers: {}, body: Buffer.alloc(0), verificationId };
}

describe('maskedHeaders', () => {
  const req = (headers: Record<string, string | string[] | undefined>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;

  it('keeps ordinary headers, joins repeated ones, and skips absent ones', () => {
    expect(
      maskedHeaders(req({ 'content-type': 'application/json', 'x-forwarded-for': ['1.1.1.1', '2.2.2.2'], gone: undefined }), new Set(), undefined),
    ).toEqual({ 'content-type': 'application/json', 'x-forwarded-for': '1.1.1.1, 2.2.2.2' });
  });

  it('masks the secret headers whole, whatever they carry', () => {
    expect(maskedHeaders(req({ 'x-secret-key': 'a typo', accept: '*/*' }), new Set(['x-secret-key']), undefined)).toEqual({
      'x-secret-key': '[redacted]',
      accept: '*/*',
    });
  });

  it.each(['authorization', 'proxy-authorization', 'cookie', 'api-key'])('masks the credential header %s', (name) => {
    expect(maskedHeaders(req({ [name]: 'value', accept: '*/*' }), new Set(), undefined)).toEqual({ [name]: '[redacted]', accept: '*/*' });
  });

  it('masks any header that carries the secret by value, only when a masker is given', () => {
    const headers = { 'x-other': `token ${SECRET}`, accept: '*/*' };
    expect(maskedHeaders(req(headers), new Set(), requestMasker([SECRET]))).toEqual({ 'x-other': '[redacted]', accept: '*/*' });
    expect(maskedHeaders(req(headers), new Set(), undefined)).toEqual(headers);
  });

  it('cuts a long value to 512 characters', () => {
    expect(maskedHeaders(req({ 'x-long': 'v'.repeat(600), 'x-fits': 'w'.repeat(512) }), new Set(), undefined)).toEqual({
      'x-long': `${'v'.repeat(512)}…`,
      'x-fits': 'w'.repeat(512),
    });
  });
});

describe('AcceptedDeliveries', () => {
  it('keeps the latest `keep`, oldest dropped first', () => {
    const accepted = new AcceptedDeliveries(2);
    for (let seq = 1; seq <= 3; seq++) accepted.remember(delivery(seq));
    expect(accepted.list.map((d) => d.seq)).toEqual([2, 3]);
  });

  it('keeps exactly `keep` before dropping any', () => {
    const accepted = new AcceptedDeliveries(2);
    accepted.remember(delivery(1));
    accepted.remember(delivery(2));
    expect(accepted.list.map((d) => d.seq)).toEqual([1, 2]);
  });

  it('keeps nothing with keep 0, yet still wakes a waiter', async () => {
    const accepted = new AcceptedDeliveries(0);
    const waiting = accepted.waitFor((d) => d.verificationId === 'v1');
    accepted.remember(delivery(1, 'v1'));
    expect(accepted.list).toEqual([]);
    await expect(waiting).resolves.toMatchObject({ seq: 1 });
  });

  it('finds a remembered delivery at once, the first that matches', async () => {
    const accepted = new AcceptedDeliveries(10);
    accepted.remember(delivery(1, 'a'));
    accepted.remember(delivery(2, 'b'));
    accepted.remember(delivery(3, 'b'));
    await expect(accepted.waitFor((d) => d.verificationId === 'b')).resolves.toMatchObject({ seq: 2 });
  });

  it('wakes each waiter once, with the first delivery it accepts, and leaves the others waiting', async () => {
    const accepted = new AcceptedDeliveries(10);
    const forB = accepted.waitFor((d) => d.verificationId === 'b');
    const forAny = accepted.waitFor(() => true);
    const order: string[] = [];
    void forB.then((d) => order.push(`b:${d.seq}`));
    void forAny.then((d) => order.push(`any:${d.seq}`));
    accepted.remember(delivery(1, 'a'));
    await expect(forAny).resolves.toMatchObject({ seq: 1 });
    accepted.remember(delivery(2, 'b'));
    accepted.remember(delivery(3, 'b'));
    await expect(forB).resolves.toMatchObject({ seq: 2 });
    expect(order).toEqual(['any:1', 'b:2']);
  });

  it('rejects with the abort reason, and forgets the waiter', async () => {
    const accepted = new AcceptedDeliveries(10);
    const controller = new AbortController();
    const predicate = vi.fn(() => false);
    const waiting = accepted.waitFor(predicate, controller.signal);
    controller.abort(new Error('stopped waiting'));
    await expect(waiting).rejects.toThrow('stopped waiting');
    accepted.remember(delivery(1));
    expect(predicate).not.toHaveBeenCalled();
  });

  it('rejects at once on a signal already aborted, without waiting', async () => {
    const accepted = new AcceptedDeliveries(10);
    const predicate = vi.fn(() => true);
    await expect(accepted.waitFor(predicate, AbortSignal.abort(new Error('too late')))).rejects.toThrow('too late');
    accepted.remember(delivery(1));
    // Only the search of the (empty) past; never asked again once it rejected.
    expect(predicate).not.toHaveBeenCalled();
  });

  it('rejects with "aborted" when the signal gives no reason', async () => {
    const accepted = new AcceptedDeliveries(10);
    const signal = { aborted: true, reason: undefined, addEventListener: vi.fn(), removeEventListener: vi.fn() } as unknown as AbortSignal;
    await expect(accepted.waitFor(() => false, signal)).rejects.toThrow(/^aborted$/);
  });

  it('stops listening to the signal once a delivery came', async () => {
    const accepted = new AcceptedDeliveries(10);
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    const waiting = accepted.waitFor(() => true, controller.signal);
    accepted.remember(delivery(1));
    await expect(waiting).resolves.toMatchObject({ seq: 1 });
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
    controller.abort(new Error('late abort'));
  });
});

/** A request body stream as readBody sees one: data, end, error and close events, and `complete`. */
class FakeBody extends EventEmitter {
  complete = false;
  socket = { destroy: vi.fn() };
}

describe('readBody', () => {
  it('gives the whole body once it ends', () => {
    const req = new FakeBody();
    const done = vi.fn();
    readBody(req as unknown as IncomingMessage, 10, done);
    req.emit('data', Buffer.from('{"a"'));
    req.emit('data', Buffer.from(':1}'));
    req.complete = true;
    req.emit('end');
    req.emit('close');
    expect(done.mock.calls).toEqual([[Buffer.from('{"a":1}')]]);
  });

  it('allows exactly the limit and says too-large past it, once, dropping the rest', () => {
    const atLimit = new FakeBody();
    const done = vi.fn();
    readBody(atLimit as unknown as IncomingMessage, 4, done);
    atLimit.emit('data', Buffer.from('abcd'));
    atLimit.emit('end');
    expect(done.mock.calls).toEqual([[Buffer.from('abcd')]]);

    const over = new FakeBody();
    const tooLarge = vi.fn();
    readBody(over as unknown as IncomingMessage, 4, tooLarge);
    over.emit('data', Buffer.from('abc'));
    over.emit('data', Buffer.from('de'));
    over.emit('data', Buffer.from('f'));
    over.emit('end');
    expect(tooLarge.mock.calls).toEqual([['too-large']]);
  });

  it('says aborted on an error or a close before the end', () => {
    const failed = new FakeBody();
    const onError = vi.fn();
    readBody(failed as unknown as IncomingMessage, 10, onError);
    failed.emit('data', Buffer.from('{'));
    failed.emit('error', new Error('reset'));
    failed.emit('close');
    expect(onError.mock.calls).toEqual([['aborted']]);

    const closed = new FakeBody();
    const onClose = vi.fn();
    readBody(closed as unknown as IncomingMessage, 10, onClose);
    closed.emit('data', Buffer.from('{'));
    closed.emit('close');
    expect(onClose.mock.calls).toEqual([['aborted']]);
  });

  it('gives the body when the request closes complete before its end event', () => {
    const req = new FakeBody();
    const done = vi.fn();
    readBody(req as unknown as IncomingMessage, 10, done);
    req.emit('data', Buffer.from('{}'));
    req.complete = true;
    req.emit('close');
    expect(done.mock.calls).toEqual([[Buffer.from('{}')]]);
  });
});

describe('capDrain', () => {
  it('lets exactly `max` bytes through and cuts the connection past it', () => {
    const req = new FakeBody();
    capDrain(req as unknown as IncomingMessage, 6, 60_000);
    req.emit('data', Buffer.from('abc'));
    req.emit('data', Buffer.from('def'));
    expect(req.socket.destroy).not.toHaveBeenCalled();
    req.emit('data', Buffer.from('g'));
    expect(req.socket.destroy).toHaveBeenCalledTimes(1);
  });
});

/** A ServerResponse that records what was written. */
function fakeResponse(state: { headersSent?: boolean; destroyed?: boolean } = {}): ServerResponse & { written: Array<[number, string[]]>; ended: string[] } {
  const res = {
    headersSent: state.headersSent ?? false,
    destroyed: state.destroyed ?? false,
    written: [] as Array<[number, string[]]>,
    ended: [] as string[],
    writeHead(status: number, headers: string[]) {
      this.written.push([status, headers]);
      this.headersSent = true;
      return this;
    },
    end(text: string) {
      this.ended.push(text);
      return this;
    },
  };
  return res as unknown as ServerResponse & { written: Array<[number, string[]]>; ended: string[] };
}

describe('respond', () => {
  it('writes JSON with its byte length, keeping the connection', () => {
    const res = fakeResponse();
    sendJson(res, 404, { error: 'not found', reason: 'ü' });
    const text = '{"error":"not found","reason":"ü"}';
    expect(res.written).toEqual([[404, ['content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(text))]]]);
    expect(res.ended).toEqual([text]);
    expect(Buffer.byteLength(text)).toBe(text.length + 1);
  });

  it('sends a string body as it is, closing the connection and adding the extra headers', () => {
    const res = fakeResponse();
    sendJson(res, 405, ACCEPTED_BODY, { allow: 'POST', 'x-a': 'b' }, true);
    expect(res.written).toEqual([
      [405, ['content-type', 'application/json; charset=utf-8', 'content-length', '26', 'connection', 'close', 'allow', 'POST', 'x-a', 'b']],
    ]);
    expect(res.ended).toEqual(['{"success":true,"ok":true}']);
  });

  it('leaves alone an answer already sent, or a connection gone', () => {
    const sent = fakeResponse({ headersSent: true });
    sendJson(sent, 200, { ok: true });
    const gone = fakeResponse({ destroyed: true });
    sendJson(gone, 200, { ok: true });
    expect([sent.written, sent.ended, gone.written, gone.ended]).toEqual([[], [], [], []]);
  });

  it('internalError answers 500 and closes, unless an answer was sent', () => {
    const res = fakeResponse();
    internalError(res);
    expect(res.written).toEqual([[500, ['content-type', 'application/json; charset=utf-8', 'content-length', '26', 'connection', 'close']]]);
    expect(res.ended).toEqual(['{"error":"internal error"}']);
    const sent = fakeResponse({ headersSent: true });
    internalError(sent);
    expect(sent.written).toEqual([]);
  });
});

describe('createListenerState', () => {
  it('has the documented defaults', () => {
    const state = createListenerState({});
    expect(state.path).toBe('/webhook');
    expect(state.maxBody).toBe(65_536);
    expect(state.limits).toEqual(LISTENER_LIMITS);
    expect(state.secret).toBeUndefined();
    expect(state.matchesSecret).toBeUndefined();
    expect(state.masker).toBeUndefined();
    expect(state.answers).toBeUndefined();
    expect(state.seq).toBe(0);
    expect(state.expectedHeaders).toBe('X-Secret-Key or Secret-Key');
    expect([...state.maskAlways]).toEqual(['x-secret-key', 'secret-key']);
  });

  it('remembers 100 accepted deliveries by default', () => {
    const state = createListenerState({});
    for (let seq = 1; seq <= 101; seq++) state.accepted.remember(delivery(seq));
    expect(state.accepted.list.length).toBe(100);
    expect(state.accepted.list[0]!.seq).toBe(2);
  });

  it('overrides only the limits given', () => {
    expect(createListenerState({ limits: { maxJsonDepth: 5 } }).limits).toEqual({ ...LISTENER_LIMITS, maxJsonDepth: 5 });
  });

  it.each([
    ['hooks', '/hooks'],
    ['/hooks/', '/hooks'],
    ['/hooks///', '/hooks'],
    ['/a/b/', '/a/b'],
    ['/', '/'],
    ['', '/'],
  ])('normalises the path %j to %j', (path, expected) => {
    expect(createListenerState({ path }).path).toBe(expected);
  });

  it('with a secret: checks it, masks it, and names a pinned header', () => {
    const state = createListenerState({ secret: SECRET, secretHeader: 'Webhook-Token', trackAnswers: true, maxBodyBytes: 10 });
    expect(state.secret).toBe(SECRET);
    expect(state.matchesSecret!({ 'webhook-token': SECRET })).toBe('ok');
    expect(state.matchesSecret!({ 'x-secret-key': SECRET })).toBe('missing');
    expect(state.masker!.path(`/x?k=${SECRET}`)).toBe('/x?k=[redacted]');
    expect(state.expectedHeaders).toBe('Webhook-Token');
    expect([...state.maskAlways]).toEqual(['webhook-token']);
    expect(state.answers).toBeInstanceOf(WeakMap);
    expect(state.maxBody).toBe(10);
  });

  it('treats an empty or blank secret as none', () => {
    expect(createListenerState({ secret: '' }).matchesSecret).toBeUndefined();
    expect(createListenerState({ secret: '  ' }).secret).toBeUndefined();
  });
});
