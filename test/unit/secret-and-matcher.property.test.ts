import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';

// Record every constant-time comparison so the test can show its inputs never depend on the secret.
const compared: Array<[number, number]> = [];
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.push([a.byteLength, b.byteLength]);
      return real.timingSafeEqual(a, b);
    },
  };
});

const { checkSecret } = await import('../../src/webhook/secret.js');
const { extractDeliveryFacts, matchDelivery } = await import('../../src/webhook/match.js');
const { jsonDepthExceeds } = await import('../../src/json.js');

describe('checkSecret, for any input', () => {
  it('passes exactly the secret itself', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (secret, received) => {
        const verdict = checkSecret(received, secret);
        if (received === '') expect(verdict).toBe('missing');
        else expect(verdict).toBe(received === secret ? 'ok' : 'mismatch');
        expect(checkSecret(secret, secret)).toBe('ok');
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects every one-character change, wherever it is', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), (secret, at, ch) => {
        const i = at % secret.length;
        fc.pre(secret[i] !== ch);
        const changed = secret.slice(0, i) + ch + secret.slice(i + 1);
        expect(checkSecret(changed, secret)).toBe('mismatch');
      }),
      { numRuns: 2000 },
    );
  });

  it('compares buffers of one fixed size, so timing cannot depend on where or how long a wrong secret differs', () => {
    const sizes = new Set<string>();
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), fc.string({ minLength: 1, maxLength: 5000 }), (secret, received) => {
        compared.length = 0;
        checkSecret(received, secret);
        expect(compared).toHaveLength(1);
        // The width is the secret's (at least 512 bytes), never the received value's.
        const width = Math.max(512, Buffer.byteLength(secret, 'utf8'));
        expect(compared[0]).toEqual([width, width]);
        sizes.add(`${compared[0]![0]}`);
      }),
      { numRuns: 500 },
    );
    expect(sizes.has('512')).toBe(true);
  });
});

describe('the payload matcher, for any JSON', () => {
  it('never throws and only ever matches the target', () => {
    const target = { id: 'v-1', phone: '6281234567890' };
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (payload) => {
        const facts = extractDeliveryFacts(payload);
        const match = matchDelivery(facts, target);
        expect([undefined, 'id', 'phone']).toContain(match);
        if (match === 'id') expect(facts.verificationId).toBe('v-1');
      }),
      { numRuns: 3000 },
    );
  });

  it('finds an id planted at the top level or one level down under any alias', () => {
    const alias = fc.constantFrom('verificationID', 'verificationId', 'verification_id', 'id', 'VERIFICATIONID');
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
    // Noise keys that are not themselves an id alias (compared the way the matcher compares).
    const key = fc.string().filter((k) => !['verificationid', 'id'].includes(k.toLowerCase().replace(/[_-]/g, '')));
    fc.assert(
      fc.property(fc.dictionary(key, scalar), alias, fc.boolean(), (noise, idKey, nested) => {
        const payload = nested ? { ...noise, data: { ...noise, [idKey]: 'v-1' } } : { ...noise, [idKey]: 'v-1' };
        expect(matchDelivery(extractDeliveryFacts(payload), { id: 'v-1', phone: '0' })).toBe('id');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the depth scan, for any JSON', () => {
  it('agrees with the real nesting depth', () => {
    const depthOf = (v: unknown): number => (typeof v === 'object' && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 10 }), (value, max) => {
        expect(jsonDepthExceeds(JSON.stringify(value), max)).toBe(depthOf(value) > max);
      }),
      { numRuns: 3000 },
    );
  });
});
