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

describe('redactor', async () => {
  const { redactor } = await import('../../src/mask.js');
  const redact = (text: string, secrets: string[]): string => redactor(secrets)(text);
  it('masks a secret as it is and as it looks inside JSON', () => {
    const secret = 'se"cr\\et-12345';
    const line = JSON.stringify({ echoed: secret });
    expect(redact(line, [secret])).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(redact(`plain ${secret}`, [secret])).not.toContain(secret);
  });
});
