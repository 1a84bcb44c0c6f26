import { describe, expect, it } from 'vitest';
import { extractDeliveryFacts, matchDelivery } from '../../src/webhook/match.js';

const target = { id: 'v-1', phone: '6281234567890' };

describe('matching a delivery to the verification', () => {
  it.each([
    [{ verificationID: 'v-1' }, 'id'],
    [{ verificationId: 'v-1', userPhone: '000' }, 'id'],
    [{ data: { id: 'v-1' } }, 'id'],
    [{ verification: { verification_id: 'v-1' } }, 'id'],
    [{ phone: '+62 812-3456-7890' }, 'phone'],
    [{ data: { userPhone: '6281234567890' } }, 'phone'],
    [{ verificationID: 'other', phone: '6281234567890' }, undefined],
    [{ phone: '6289999999999' }, undefined],
    [{}, undefined],
  ])('%j → %s', (payload, expected) => {
    expect(matchDelivery(extractDeliveryFacts(payload), target)).toBe(expected);
  });

  it('reads nothing from what is not an object', () => {
    for (const payload of [null, 1, 'x', [1], true]) expect(extractDeliveryFacts(payload)).toEqual({});
  });
});

describe("the event's own status", async () => {
  const { eventVerdict } = await import('../../src/webhook/match.js');
  const verdict = (payload: unknown): string => eventVerdict(extractDeliveryFacts(payload));

  it.each([
    [{ verificationID: 'v-1' }, 'verified'],
    [{ status: 'verified' }, 'verified'],
    [{ status: 'VERIFIED' }, 'verified'],
    [{ status: 'Success' }, 'verified'],
    [{ status: 'VERIFICATION_SUCCESS' }, 'verified'],
    [{ status: 200 }, 'verified'],
    [{ status: 'failed' }, 'not-verified'],
    [{ status: 'not_verified' }, 'not-verified'],
    [{ status: 'delivered' }, 'not-verified'],
    [{ status: 'pending' }, 'not-verified'],
    [{ verificationStatus: 'expired' }, 'not-verified'],
    // TapTalk's wrapping: the nested status decides, not the wrapper's type.
    [{ type: 'integration_message_status', integrationMessageStatus: { status: 'delivered' } }, 'not-verified'],
    [{ type: 'whatsapp_verification', data: { status: 'verified' } }, 'verified'],
    // A type alone is the kind of event: it decides only when it carries a verdict word.
    [{ type: 'whatsapp_verification', verificationID: 'v-1' }, 'verified'],
    [{ event: 'verification.failed' }, 'not-verified'],
    [{ event: 'verification.verified' }, 'verified'],
  ])('%j → %s', (payload, expected) => {
    expect(verdict(payload)).toBe(expected);
  });

  it('prefers a status field one level down to a type at the top', () => {
    expect(extractDeliveryFacts({ type: 'x_status', wrap: { status: 'failed' } })).toMatchObject({ payloadStatus: 'failed', payloadStatusFrom: 'status' });
    expect(extractDeliveryFacts({ type: 'x_status' })).toMatchObject({ payloadStatus: 'x_status', payloadStatusFrom: 'event-type' });
  });
});
