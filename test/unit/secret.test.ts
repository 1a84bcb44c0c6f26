import { describe, expect, it } from 'vitest';
import { checkSecret } from '../../src/index.js';

describe('checkSecret', () => {
  const secret = 'whsec_9f8e7d6c5b4a';
  it('passes only the exact secret', () => {
    expect(checkSecret(secret, secret)).toBe('ok');
    expect(checkSecret(`${secret} `, secret)).toBe('mismatch');
    expect(checkSecret(secret.slice(0, -1), secret)).toBe('mismatch');
    expect(checkSecret(secret.toUpperCase(), secret)).toBe('mismatch');
    expect(checkSecret(`${secret}x`, secret)).toBe('mismatch');
  });
  it('tells a missing secret from a wrong one', () => {
    expect(checkSecret(undefined, secret)).toBe('missing');
    expect(checkSecret('', secret)).toBe('missing');
    expect(checkSecret('nope', secret)).toBe('mismatch');
  });
  it('never accepts a repeated header', () => {
    expect(checkSecret([secret, secret], secret)).toBe('mismatch');
    expect(checkSecret(`${secret}, ${secret}`, secret)).toBe('mismatch');
    expect(checkSecret([secret], secret)).toBe('ok');
  });
});
