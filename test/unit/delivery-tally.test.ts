import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../src/webhook/delivery.js';
import { DeliveryCounter } from '../../src/webhook/delivery-tally.js';
import { VerificationDeliveries } from '../../src/flow/verification-deliveries.js';

let seq = 0;
function delivery(over: Partial<Delivery>): Delivery {
  seq++;
  return {
    seq,
    receivedAt: `2026-01-01T00:00:${String(seq % 60).padStart(2, '0')}.000Z`,
    method: 'POST',
    path: '/webhook',
    accepted: true,
    status: 200,
    headers: {},
    body: Buffer.alloc(0),
    ...over,
  };
}
const refused = (reason: Delivery['reason'], over: Partial<Delivery> = {}): Delivery => delivery({ accepted: false, status: 401, reason, ...over });

const empty = { received: 0, matched: 0, otherVerification: 0, others: [], refused: 0, refusedBy: {}, secretLocations: [] };

describe('DeliveryCounter', () => {
  it('starts at zero', () => {
    expect(new DeliveryCounter().snapshot()).toEqual(empty);
  });

  it('counts matched, other and refused deliveries apart', () => {
    const c = new DeliveryCounter();
    c.add(delivery({ verificationId: 'v-1' }), true);
    c.add(delivery({ verificationId: 'v-1' }), true);
    c.add(delivery({ verificationId: 'v-2' }), false);
    c.add(refused('secret-mismatch'), false);
    c.add(refused('secret-mismatch'), true); // a refusal never counts as matched
    c.add(refused('too-large'), false);
    expect(c.snapshot()).toEqual({
      received: 6,
      matched: 2,
      otherVerification: 1,
      others: ['v-2'],
      refused: 3,
      refusedBy: { 'secret-mismatch': 2, 'too-large': 1 },
      secretLocations: [],
    });
  });

  it('files a refusal without a reason under not-found', () => {
    const c = new DeliveryCounter();
    c.add(refused(undefined), false);
    c.add(refused(undefined), false);
    expect(c.snapshot().refusedBy).toEqual({ 'not-found': 2 });
  });

  it('labels the others by id, else by phone, else says it had neither', () => {
    const c = new DeliveryCounter();
    c.add(delivery({ verificationId: 'v-9', phone: '628111' }), false);
    c.add(delivery({ phone: '628222' }), false);
    c.add(delivery({}), false);
    c.add(delivery({ verificationId: 'v-9' }), false); // the same label again: kept once
    expect(c.snapshot().others).toEqual(['v-9', 'phone 628222', 'no id or phone']);
    expect(c.snapshot().otherVerification).toBe(4);
  });

  it('keeps the first five distinct others, and goes on counting', () => {
    const c = new DeliveryCounter();
    for (let i = 1; i <= 7; i++) c.add(delivery({ verificationId: `v-${i}` }), false);
    expect(c.snapshot().others).toEqual(['v-1', 'v-2', 'v-3', 'v-4', 'v-5']);
    expect(c.snapshot().otherVerification).toBe(7);
  });

  it('keeps the first five distinct secret locations, each once', () => {
    const c = new DeliveryCounter();
    c.add(refused('secret-missing', { secretLocation: { in: 'header', name: 'X-Token' } }), false);
    c.add(refused('secret-missing', { secretLocation: { in: 'header', name: 'X-Token' } }), false);
    c.add(refused('secret-missing', { secretLocation: { in: 'query', name: 'X-Token' } }), false); // same name, elsewhere
    c.add(refused('secret-missing', { secretLocation: { in: 'header', name: 'X-Other' } }), false); // same place, another name
    c.add(refused('secret-missing'), false);
    for (let i = 1; i <= 4; i++) c.add(refused('secret-missing', { secretLocation: { in: 'query', name: `p${i}` } }), false);
    expect(c.snapshot().secretLocations).toEqual([
      { in: 'header', name: 'X-Token' },
      { in: 'query', name: 'X-Token' },
      { in: 'header', name: 'X-Other' },
      { in: 'query', name: 'p1' },
      { in: 'query', name: 'p2' },
    ]);
    expect(c.snapshot().refusedBy).toEqual({ 'secret-missing': 9 });
  });

  it('gives a copy that later deliveries do not change', () => {
    const c = new DeliveryCounter();
    c.add(delivery({ verificationId: 'v-2' }), false);
    c.add(refused('secret-missing', { secretLocation: { in: 'header', name: 'X-A' } }), false);
    const before = c.snapshot();
    c.add(delivery({ verificationId: 'v-3' }), false);
    c.add(refused('secret-missing', { secretLocation: { in: 'header', name: 'X-B' } }), false);
    c.add(delivery({}), true);
    expect(before).toEqual({
      received: 2,
      matched: 0,
      otherVerification: 1,
      others: ['v-2'],
      refused: 1,
      refusedBy: { 'secret-missing': 1 },
      secretLocations: [{ in: 'header', name: 'X-A' }],
    });
    // and changing the copy does not change the counter
    before.others.push('x');
    before.refusedBy['too-deep'] = 9;
    before.secretLocations.push({ in: 'query', name: 'q' });
    expect(c.snapshot()).toEqual({
      received: 5,
      matched: 1,
      otherVerification: 2,
      others: ['v-2', 'v-3'],
      refused: 2,
      refusedBy: { 'secret-missing': 2 },
      secretLocations: [
        { in: 'header', name: 'X-A' },
        { in: 'header', name: 'X-B' },
      ],
    });
  });
});

const verification = { id: 'v-1', phone: '6281234567890', link: 'https://wa.me/x', raw: {} };

describe('VerificationDeliveries', () => {
  it('matches nothing before the verification is known, and holds those deliveries back', () => {
    const d = new VerificationDeliveries();
    const early = delivery({ verificationId: 'v-1' });
    expect(d.matches(early)).toBe(false);
    expect(d.matchedBy(early)).toBeUndefined();
    expect(d.arrived(early)).toBeUndefined();
    expect(d.arrived(delivery({ verificationId: 'v-2' }))).toBeUndefined();
    expect(d.snapshot()).toEqual(empty);
    d.created(verification);
    expect(d.snapshot()).toEqual({ ...empty, received: 2, matched: 1, otherVerification: 1, others: ['v-2'] });
    // counted once: a second creation has nothing left to count
    d.created(verification);
    expect(d.snapshot().received).toBe(2);
  });

  it('matches by id or by phone once the verification is known, only accepted deliveries', () => {
    const d = new VerificationDeliveries();
    d.created(verification);
    expect(d.arrived(delivery({ verificationId: 'v-1' }))).toBe(true);
    expect(d.arrived(delivery({ phone: '+62 812-3456-7890' }))).toBe(true);
    expect(d.arrived(delivery({ verificationId: 'v-2', phone: '6281234567890' }))).toBe(false);
    expect(d.arrived(refused('secret-mismatch', { verificationId: 'v-1' }))).toBe(false);
    expect(d.matchedBy(delivery({ verificationId: 'v-1' }))).toBe('id');
    expect(d.matchedBy(delivery({ phone: '6281234567890' }))).toBe('phone');
    expect(d.matchedBy(delivery({ verificationId: 'v-3' }))).toBeUndefined();
    expect(d.snapshot()).toEqual({ ...empty, received: 4, matched: 2, otherVerification: 1, others: ['v-2'], refused: 1, refusedBy: { 'secret-mismatch': 1 } });
  });

  it('holds back at most 1000 early deliveries', () => {
    const d = new VerificationDeliveries();
    for (let i = 0; i < 1005; i++) d.arrived(delivery({ verificationId: 'v-1' }));
    d.created(verification);
    expect(d.snapshot().received).toBe(1000);
    expect(d.snapshot().matched).toBe(1000);
  });
});
