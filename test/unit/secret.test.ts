import { describe, expect, it } from 'vitest';
import { checkSecret, secretChecker } from '../../src/webhook/secret.js';

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
  it('compares lengths too: the zero bytes the comparison pads with are no part of the secret', () => {
    expect(checkSecret(`${secret}\u0000`, secret)).toBe('mismatch');
    expect(checkSecret(`${secret}\u0000\u0000\u0000`, secret)).toBe('mismatch');
    expect(checkSecret('\u0000', 'x')).toBe('mismatch');
    expect(checkSecret(secret, `${secret}\u0000`)).toBe('mismatch');
  });
  it('compares bytes, not characters, and refuses a value longer than any secret it checks', () => {
    expect(checkSecret('sécret-ñ-日本-0123', 'sécret-ñ-日本-0123')).toBe('ok');
    expect(checkSecret('secret-n-日本-0123', 'sécret-ñ-日本-0123')).toBe('mismatch');
    expect(checkSecret(`${secret}${'x'.repeat(2000)}`, secret)).toBe('mismatch');
    // A secret longer than the usual width is compared whole, its last byte included.
    const long = `${'k'.repeat(700)}Z`;
    expect(checkSecret(long, long)).toBe('ok');
    expect(checkSecret(`${'k'.repeat(700)}Y`, long)).toBe('mismatch');
    expect(checkSecret(`${long}Z`, long)).toBe('mismatch');
  });
  it('gives each request the same answer whatever the requests before it carried', () => {
    // One checker serves every request of a listener: nothing of one value may stay for the next.
    const check = secretChecker(secret);
    expect(check(`${secret}-and-more`)).toBe('mismatch');
    expect(check(secret)).toBe('ok');
    expect(check(secret.slice(0, 4))).toBe('mismatch');
    expect(check(secret)).toBe('ok');
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

  it('puts the mask where the secret stood, and leaves everything else as it was', () => {
    // The last 4 characters, which the mask shows, hold a quote and a backslash.
    const secret = 'se"cr\\et-0123456"\\89';
    const masked = redact(JSON.stringify({ echoed: secret, again: `${secret}!` }), [secret]);
    // Still valid JSON, each occurrence now the mask (its last 4 characters only).
    expect(JSON.parse(masked)).toEqual({ echoed: '••••"\\89', again: '••••"\\89!' });
    expect(redact('key whsec_live_0123456789 in a line', ['whsec_live_0123456789'])).toBe('key ••••6789 in a line');
    expect(redact('short wh12ab34cd56 shows nothing', ['wh12ab34cd56'])).toBe('short •••••••• shows nothing');
    expect(redact('short abc stays', ['abc'])).toBe('short abc stays'); // too short to mask words safely
    expect(redact('nothing secret here', ['whsec_live_0123456789', ''])).toBe('nothing secret here');
  });
});

describe('the secret of a whole request', async () => {
  const { requestSecretChecker, locateSecret, configuredSecret, secretHeadersFor, ACCEPTED_SECRET_HEADERS } = await import('../../src/webhook/secret.js');
  const secret = 'whsec_request_rule_77';
  const byDefault = requestSecretChecker(secret, secretHeadersFor(undefined));

  it('accepts it in X-Secret-Key or Secret-Key by default, and nowhere else', () => {
    expect(ACCEPTED_SECRET_HEADERS).toEqual(['X-Secret-Key', 'Secret-Key']);
    expect(byDefault({ 'x-secret-key': secret })).toBe('ok');
    expect(byDefault({ 'secret-key': secret })).toBe('ok');
    expect(byDefault({ 'x-secret-key': 'wrong', 'secret-key': secret })).toBe('ok');
    expect(byDefault({ 'x-secret-key': 'wrong' })).toBe('mismatch');
    expect(byDefault({ 'x-foo': secret })).toBe('missing');
    expect(byDefault({})).toBe('missing');
  });

  it('pinned, reads only that header; pinned to Authorization, a Bearer token', () => {
    const pinned = requestSecretChecker(secret, secretHeadersFor('X-Foo'));
    expect(pinned({ 'x-foo': secret })).toBe('ok');
    expect(pinned({ 'x-secret-key': secret })).toBe('missing');
    const bearer = requestSecretChecker(secret, ['Authorization']);
    expect(bearer({ authorization: `Bearer ${secret}` })).toBe('ok');
    expect(bearer({ authorization: secret })).toBe('ok');
    expect(bearer({ authorization: 'Bearer nope' })).toBe('mismatch');
  });

  it('finds a misplaced secret by name only: a header, a Bearer token, a query parameter', () => {
    expect(locateSecret(['Host', 'x', 'X-Webhook-Token', secret], '/webhook', secret)).toEqual({ in: 'header', name: 'X-Webhook-Token' });
    expect(locateSecret(['Authorization', `Bearer ${secret}`], '/webhook', secret)).toEqual({ in: 'bearer', name: 'Authorization' });
    expect(locateSecret(['Host', 'x'], `/webhook?a=1&token=${encodeURIComponent(secret)}`, secret)).toEqual({ in: 'query', name: 'token' });
    expect(locateSecret(['X-Webhook-Token', `${secret}x`], '/webhook?token=no', secret)).toBeUndefined();
  });

  it('has one rule for "no secret": absent, empty or blank', () => {
    expect(configuredSecret(undefined)).toBeUndefined();
    expect(configuredSecret('')).toBeUndefined();
    expect(configuredSecret('   ')).toBeUndefined();
    expect(configuredSecret(secret)).toBe(secret);
  });
});

describe('checkSecret given a request’s headers', () => {
  it('follows the listener’s rule', () => {
    const secret = 'whsec_headers_rule_31';
    expect(checkSecret({ 'x-secret-key': secret }, secret)).toBe('ok');
    expect(checkSecret({ 'secret-key': secret }, secret)).toBe('ok');
    expect(checkSecret({ 'x-foo': secret }, secret)).toBe('missing');
    expect(checkSecret({ 'x-foo': secret }, secret, 'X-Foo')).toBe('ok');
    expect(checkSecret({ 'secret-key': secret }, secret, 'X-Foo')).toBe('missing');
  });
});
