import { describe, expect, it } from 'vitest';
import { extractDeliveryFacts, matchDelivery } from '../../src/index.js';

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
