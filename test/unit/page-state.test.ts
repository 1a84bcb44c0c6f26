import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { applyResult, PAGE_BODY_LIMIT, pageDelivery, type PageState } from '../../src/inspector/page-state.js';
import type { CreateResult } from '../../src/flow/create-flow.js';
import type { ListenResult } from '../../src/flow/listen-flow.js';
import type { Delivery } from '../../src/webhook/listener.js';

const fresh = (): PageState => ({ status: 'waiting', accepted: 0, refused: 0, ended: false }) as PageState;
const tally = { received: 2, matched: 0, otherVerification: 0, others: [], refused: 2, refusedBy: { 'secret-mismatch': 2 }, secretLocations: [] };

describe('how the page tells the end', () => {
  it('quotes the webhook’s own status when it said not verified', () => {
    const state = fresh();
    applyResult(state, { status: 'not-verified', eventStatus: 'failed' } as unknown as CreateResult);
    expect(state).toMatchObject({ status: 'not-verified', ended: true, note: 'The webhook\'s own status was "failed".' });
  });

  it('leads with the likeliest cause when the wait ran out, as the terminal does', () => {
    const state = fresh();
    applyResult(state, {
      status: 'timeout',
      deliveries: tally,
      diagnosis: { cause: '2 deliveries arrived and were refused: secret key is invalid', hint: 'Fix the secret.' },
    } as unknown as CreateResult);
    expect(state).toMatchObject({ status: 'timeout', note: '2 deliveries arrived and were refused: secret key is invalid. Fix the secret.' });
  });

  it('adds the cause to listen’s counts', () => {
    const state = fresh();
    applyResult(state, { reason: 'timeout', accepted: 0, refused: 2, deliveries: tally, diagnosis: { cause: 'C', hint: 'H' } } as unknown as ListenResult);
    expect(state.note).toBe('0 accepted, 2 refused (timed out). C. H');
  });
});

describe('how the page tells a sandbox run and a stop', () => {
  const nothing = { ...tally, received: 0, refused: 0, refusedBy: {} };
  const noDelivery = { cause: 'No delivery arrived', hint: 'Check that the Webhook URL in Verification Config is http://127.0.0.1:1/webhook.' };

  it("shows the flow's own diagnosis, cause then hint, as the terminal does (the flow gives sandbox advice in the sandbox)", () => {
    const timedOut = fresh();
    applyResult(timedOut, { status: 'timeout', sandbox: false, deliveries: nothing, diagnosis: noDelivery } as unknown as CreateResult);
    expect(timedOut.note).toBe('No delivery arrived. Check that the Webhook URL in Verification Config is http://127.0.0.1:1/webhook.');
    const verified = fresh();
    applyResult(verified, { status: 'verified', sandbox: true, deliveries: nothing } as unknown as CreateResult);
    expect(verified.note).toBeUndefined();
  });

  it('says stopped, not interrupted, for a stop that is a listen’s normal end', () => {
    const result = { reason: 'interrupted', accepted: 1, refused: 0, deliveries: tally } as unknown as ListenResult;
    const clean = fresh();
    applyResult(clean, result, true);
    expect(clean.note).toBe('1 accepted, 0 refused (stopped).');
    const interrupted = fresh();
    applyResult(interrupted, result);
    expect(interrupted.note).toBe('1 accepted, 0 refused (interrupted).');
  });
});

describe('a delivery as the page shows it', () => {
  const SECRET = 'whsec_UNIT_secret_4471';
  const clean = (text: string): string => text.split(SECRET).join('[masked]');
  const delivery = (over: Partial<Delivery>): Delivery =>
    ({
      seq: 1,
      receivedAt: '2026-01-01T00:00:00.000Z',
      method: 'POST',
      path: '/webhook',
      accepted: false,
      status: 401,
      reason: 'secret-mismatch',
      detail: 'does not match',
      headers: {},
      body: Buffer.alloc(0),
      ...over,
    }) as Delivery;

  it('says that a body refused on the headers was not read, and why', () => {
    const d = pageDelivery(delivery({}), clean);
    expect(d).toMatchObject({ body: '', bodyUnread: 'Not read: the delivery was refused on its headers, before its body (secret wrong).' });
    expect(pageDelivery(delivery({ reason: 'not-json', status: 400, body: Buffer.from('x') }), clean).bodyUnread).toBeUndefined();
  });

  it('indents JSON before masking, so a secret written with JSON escapes is masked too', () => {
    const escaped = JSON.stringify({ echo: SECRET }).replace('w', '\\u0077');
    const d = pageDelivery(delivery({ accepted: true, status: 200, reason: undefined, body: Buffer.from(escaped) }), clean);
    expect(d.body).toBe('{\n  "echo": "[masked]"\n}');
  });

  it('keeps long integers’ digits and deep nesting as they came', () => {
    const long = '{"n":12345678901234567890}';
    expect(pageDelivery(delivery({ accepted: true, status: 200, reason: undefined, body: Buffer.from(long) }), clean).body).toBe(long);
    const deep = `${'['.repeat(40)}${']'.repeat(40)}`;
    expect(pageDelivery(delivery({ reason: 'too-deep', status: 400, body: Buffer.from(deep) }), clean).body).toBe(deep);
  });

  it('cuts a large body to the page limit, says how large it was, and keeps nothing of the rest', () => {
    const big = 'x'.repeat(60_000);
    const d = pageDelivery(delivery({ accepted: true, status: 200, reason: undefined, body: Buffer.from(big) }), clean);
    expect(d).toMatchObject({ bodyTruncated: true, bodyBytes: 60_000 });
    expect(d.body).toBe(big.slice(0, PAGE_BODY_LIMIT));
    expect(pageDelivery(delivery({ accepted: true, status: 200, reason: undefined, body: Buffer.from('{}') }), clean)).toMatchObject({
      bodyTruncated: false,
      bodyBytes: 2,
    });
  });

  it('holds about the page limit per delivery, however large the body was', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = (): number => {
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    const before = heap();
    // 100 bodies of 1 MB each: a kept view of each whole body would hold about 100 MB.
    const kept = Array.from({ length: 100 }, (_, i) =>
      pageDelivery(delivery({ seq: i, accepted: true, status: 200, reason: undefined, body: Buffer.alloc(1_000_000, 97 + (i % 26)) }), clean),
    );
    const grown = (heap() - before) / 1e6;
    expect(kept).toHaveLength(100);
    expect(grown).toBeLessThan(20);
  });
});
