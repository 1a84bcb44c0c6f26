import { describe, expect, it } from 'vitest';
import { eventVerdict, extractDeliveryFacts } from '../../src/webhook/match.js';

// Each word on its own, as a status field would carry it: dropping one from the rule turns a
// real success into "not verified", and the wait goes on until it times out.
describe('a status that says the verification succeeded', () => {
  it.each(['verified', 'success', 'succeeded', 'successful', 'succeed', 'ok', 'complete', 'completed', 'done', 'valid', 'approved', 'confirmed', 'true'])(
    'verification_%s is verified, in any letter case',
    (word) => {
      expect(eventVerdict(extractDeliveryFacts({ status: `verification_${word}`, verificationID: 'v-1' }))).toBe('verified');
      expect(eventVerdict(extractDeliveryFacts({ status: word.toUpperCase(), verificationID: 'v-1' }))).toBe('verified');
    },
  );

  it('while a status with none of those words is not', () => {
    expect(eventVerdict(extractDeliveryFacts({ status: 'verification_sent', verificationID: 'v-1' }))).toBe('not-verified');
    expect(eventVerdict(extractDeliveryFacts({ status: 'okay', verificationID: 'v-1' }))).toBe('not-verified');
  });
});
