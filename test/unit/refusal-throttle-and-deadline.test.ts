import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../src/webhook/delivery.js';
import { RefusalThrottle } from '../../src/flow/refusal-throttle.js';
import { DEFAULT_WAIT_MS, FAR_EXPIRY_MS, waitDeadline } from '../../src/flow/wait-deadline.js';

function delivery(over: Partial<Delivery>): Delivery {
  return { seq: 1, receivedAt: 't', method: 'POST', path: '/webhook', accepted: false, status: 404, headers: {}, body: Buffer.alloc(0), ...over };
}
const refusal = (reason: Delivery['reason'], receivedAt: string): Delivery => delivery({ reason, receivedAt });

describe('RefusalThrottle', () => {
  it('admits accepted deliveries and refusals without a reason, uncounted', () => {
    const t = new RefusalThrottle(0, 1000, () => 0);
    expect(t.admit(delivery({ accepted: true, status: 200, reason: 'not-found' }))).toBe(true);
    expect(t.admit(delivery({ accepted: false, reason: undefined }))).toBe(true);
    expect(t.drain()).toEqual([]);
  });

  it('admits the first perWindow of each reason, then counts the rest into one summary per reason', () => {
    const now = 0;
    const t = new RefusalThrottle(2, 1000, () => now);
    expect([1, 2, 3, 4].map((i) => t.admit(refusal('not-found', `n${i}`)))).toEqual([true, true, false, false]);
    expect([1, 2, 3].map((i) => t.admit(refusal('secret-missing', `s${i}`)))).toEqual([true, true, false]);
    expect(t.drain()).toEqual([
      { reason: 'not-found', suppressed: 2, from: 'n3', to: 'n4' },
      { reason: 'secret-missing', suppressed: 1, from: 's3', to: 's3' },
    ]);
    expect(t.drain()).toEqual([]);
    // same window: still held back, a new summary starts
    expect(t.admit(refusal('not-found', 'n5'))).toBe(false);
    expect(t.drain()).toEqual([{ reason: 'not-found', suppressed: 1, from: 'n5', to: 'n5' }]);
  });

  it('starts a new window once windowMs has passed, not before', () => {
    let now = 5_000;
    const t = new RefusalThrottle(1, 1000, () => now);
    expect(t.admit(refusal('too-large', 'a'))).toBe(true); // window starts at 5000
    expect(t.admit(refusal('too-large', 'b'))).toBe(false);
    now = 5_999;
    expect(t.admit(refusal('too-large', 'c'))).toBe(false);
    now = 6_000;
    expect(t.admit(refusal('too-large', 'd'))).toBe(true);
    expect(t.admit(refusal('too-large', 'e'))).toBe(false);
    now = 6_999;
    expect(t.admit(refusal('too-large', 'f'))).toBe(false);
    expect(t.drain()).toEqual([{ reason: 'too-large', suppressed: 4, from: 'b', to: 'f' }]);
  });

  it('defaults to 20 a window of 10 s, on the wall clock', () => {
    const t = new RefusalThrottle();
    const admitted = Array.from({ length: 25 }, (_, i) => t.admit(refusal('not-json', `x${i}`))).filter(Boolean).length;
    expect(admitted).toBe(20);
    expect(t.drain()).toEqual([{ reason: 'not-json', suppressed: 5, from: 'x20', to: 'x24' }]);
  });

  it('uses a 10 s window by default', () => {
    let now = 1_000_000;
    const t = new RefusalThrottle(1, undefined, () => now);
    expect(t.admit(refusal('not-json', 'a'))).toBe(true);
    now += 9_999;
    expect(t.admit(refusal('not-json', 'b'))).toBe(false);
    now += 1;
    expect(t.admit(refusal('not-json', 'c'))).toBe(true);
  });
});

describe('waitDeadline', () => {
  const started = Date.parse('2026-01-01T00:00:00.000Z');
  const v = (expiresAt?: string) => ({ id: 'v', phone: '62', link: 'l', raw: {}, ...(expiresAt === undefined ? {} : { expiresAt }) });
  const inMinutes = (m: number) => new Date(started + m * 60_000).toISOString();

  it('waits the default when neither an expiry nor a timeout is known', () => {
    expect(DEFAULT_WAIT_MS).toBe(600_000);
    expect(waitDeadline(started, v(), {})).toEqual({ deadline: started + 600_000, until: 'timeout' });
  });

  it('takes the earlier of timeout and expiry', () => {
    expect(waitDeadline(started, v(inMinutes(5)), { timeoutMs: 60_000 })).toEqual({ deadline: started + 60_000, until: 'timeout' });
    expect(waitDeadline(started, v(inMinutes(5)), { timeoutMs: 600_000 })).toEqual({ deadline: started + 300_000, until: 'expiry' });
    // equal: the expiry is said
    expect(waitDeadline(started, v(inMinutes(5)), { timeoutMs: 300_000 })).toEqual({ deadline: started + 300_000, until: 'expiry' });
    expect(waitDeadline(started, v(inMinutes(5)), {})).toEqual({ deadline: started + 300_000, until: 'expiry' });
    expect(waitDeadline(started, v(), { timeoutMs: 1_000 })).toEqual({ deadline: started + 1_000, until: 'timeout' });
  });

  it('uses --expiry minutes when the verification has no expiry', () => {
    expect(waitDeadline(started, v(), { expiryMinutes: 3 })).toEqual({ deadline: started + 180_000, until: 'expiry' });
    expect(waitDeadline(started, v(), { expiryMinutes: 3, timeoutMs: 120_000 })).toEqual({ deadline: started + 120_000, until: 'timeout' });
    // the verification's own expiry wins over --expiry
    expect(waitDeadline(started, v(inMinutes(2)), { expiryMinutes: 3 })).toEqual({ deadline: started + 120_000, until: 'expiry' });
  });

  it('sets aside an expiry in the past, or now, and says so', () => {
    expect(waitDeadline(started, v(inMinutes(-1)), { timeoutMs: 5_000 })).toEqual({
      deadline: started + 5_000,
      until: 'timeout',
      ignoredExpiry: { expiresAt: inMinutes(-1), why: 'past' },
    });
    expect(waitDeadline(started, v(inMinutes(0)), {})).toEqual({
      deadline: started + DEFAULT_WAIT_MS,
      until: 'timeout',
      ignoredExpiry: { expiresAt: inMinutes(0), why: 'past' },
    });
    // falls back on --expiry
    expect(waitDeadline(started, v(inMinutes(-1)), { expiryMinutes: 4 })).toEqual({
      deadline: started + 240_000,
      until: 'expiry',
      ignoredExpiry: { expiresAt: inMinutes(-1), why: 'past' },
    });
  });

  it('sets aside an expiry more than a week away, or unreadable, as far', () => {
    expect(FAR_EXPIRY_MS).toBe(604_800_000);
    const week = new Date(started + FAR_EXPIRY_MS).toISOString();
    expect(waitDeadline(started, v(week), {})).toEqual({ deadline: started + FAR_EXPIRY_MS, until: 'expiry' });
    const beyond = new Date(started + FAR_EXPIRY_MS + 1).toISOString();
    expect(waitDeadline(started, v(beyond), {})).toEqual({
      deadline: started + DEFAULT_WAIT_MS,
      until: 'timeout',
      ignoredExpiry: { expiresAt: beyond, why: 'far' },
    });
    expect(waitDeadline(started, v('soon'), { timeoutMs: 7_000 })).toEqual({
      deadline: started + 7_000,
      until: 'timeout',
      ignoredExpiry: { expiresAt: 'soon', why: 'far' },
    });
  });
});
