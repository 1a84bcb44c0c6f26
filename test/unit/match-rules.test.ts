import { describe, expect, it } from 'vitest';
import { eventVerdict, extractDeliveryFacts, matchDelivery } from '../../src/webhook/match.js';

describe('extractDeliveryFacts', () => {
  it('reads id, phone and status exactly', () => {
    expect(extractDeliveryFacts({ id: 'v-1', phone: '628', status: 'verified', type: 'x' })).toEqual({
      verificationId: 'v-1',
      phone: '628',
      payloadStatus: 'verified',
      payloadStatusFrom: 'status',
    });
    expect(extractDeliveryFacts({ event: 'verification.done' })).toEqual({ payloadStatus: 'verification.done', payloadStatusFrom: 'event-type' });
    // no key for what is not there (not even one holding undefined)
    expect(extractDeliveryFacts({ phone: '628' })).toStrictEqual({ phone: '628' });
    expect(extractDeliveryFacts({ id: 'v-2' })).toStrictEqual({ verificationId: 'v-2' });
    expect(extractDeliveryFacts({ other: 1 })).toStrictEqual({});
  });
});

describe('eventVerdict', () => {
  const status = (payloadStatus: string) => eventVerdict({ payloadStatus, payloadStatusFrom: 'status' });
  const eventType = (payloadStatus: string) => eventVerdict({ payloadStatus, payloadStatusFrom: 'event-type' });

  it('without a status, the delivery says verified', () => {
    expect(eventVerdict({})).toBe('verified');
    expect(eventVerdict({ verificationId: 'v' })).toBe('verified');
  });

  it('splits camelCase into words', () => {
    expect(status('isOk')).toBe('verified');
    expect(status('verifiedOK')).toBe('verified');
    expect(status('notVerified')).toBe('not-verified');
    expect(status('okNot')).toBe('not-verified');
  });

  it('reads an HTTP-like 2xx word as success, nothing else', () => {
    expect(status('204')).toBe('verified');
    expect(status('code 299')).toBe('verified');
    expect(status('300')).toBe('not-verified');
    expect(status('2001')).toBe('not-verified');
    expect(status('x200')).toBe('not-verified');
    expect(status('20')).toBe('not-verified');
  });

  it('an event type decides only through a verdict word', () => {
    expect(eventType('whatsapp_verification')).toBe('verified');
    expect(eventType('verification_failed')).toBe('not-verified');
    expect(status('whatsapp_verification')).toBe('not-verified');
  });
});

describe('matchDelivery', () => {
  it('never matches by phone when the phone has no digits', () => {
    expect(matchDelivery({ phone: 'n/a' }, { id: 'v', phone: 'unknown' })).toBeUndefined();
    expect(matchDelivery({ phone: '+62 (812)' }, { id: 'v', phone: '62812' })).toBe('phone');
  });
  it('does not fall back on the phone when an id is there', () => {
    expect(matchDelivery({ verificationId: 'v-2', phone: '62812' }, { id: 'v-1', phone: '62812' })).toBeUndefined();
    expect(matchDelivery({ verificationId: 'v-1', phone: '0' }, { id: 'v-1', phone: '62812' })).toBe('id');
  });
});

describe('an event whose kind says it did not succeed', () => {
  // Each word on its own, as the kind of event it would be: dropping any from the rule lets a
  // `verification.expired` (or `.rejected`…) event end a wait as "Verified".
  it.each([
    'not',
    'no',
    'unverified',
    'fail',
    'failed',
    'failure',
    'error',
    'rejected',
    'reject',
    'expired',
    'invalid',
    'denied',
    'cancelled',
    'canceled',
    'timeout',
    'false',
    'pending',
    'unsuccessful',
  ])('verification.%s is not verified, as an event kind and as a status', (word) => {
    expect(eventVerdict(extractDeliveryFacts({ event: `verification.${word}`, verificationID: 'v-1' }))).toBe('not-verified');
    expect(eventVerdict(extractDeliveryFacts({ status: `verification_${word}`, verificationID: 'v-1' }))).toBe('not-verified');
  });

  it('while verification.verified and a bare event kind with no such word are verified', () => {
    expect(eventVerdict(extractDeliveryFacts({ event: 'verification.verified', verificationID: 'v-1' }))).toBe('verified');
    expect(eventVerdict(extractDeliveryFacts({ type: 'whatsapp_verification_status', verificationID: 'v-1' }))).toBe('verified');
  });
});
