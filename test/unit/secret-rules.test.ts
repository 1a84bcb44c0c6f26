import { describe, expect, it } from 'vitest';
import {
  checkSecret,
  configuredSecret,
  describeSecretHeaders,
  describeSecretLocation,
  locateSecret,
  requestSecretChecker,
  secretChecker,
  secretHeadersFor,
} from '../../src/webhook/secret.js';

const secret = 'whsec_rules_4242';

describe('which headers carry the secret', () => {
  it('an unset or empty pin means the accepted defaults; a pin means that header alone', () => {
    expect(secretHeadersFor(undefined)).toEqual(['X-Secret-Key', 'Secret-Key']);
    expect(secretHeadersFor('')).toEqual(['X-Secret-Key', 'Secret-Key']);
    expect(secretHeadersFor('X-Hook')).toEqual(['X-Hook']);
  });

  it('names them for a message', () => {
    expect(describeSecretHeaders([])).toBe('X-Secret-Key');
    expect(describeSecretHeaders(['Authorization'])).toBe('Authorization');
    expect(describeSecretHeaders(['X-Secret-Key', 'Secret-Key'])).toBe('X-Secret-Key or Secret-Key');
    expect(describeSecretHeaders(['A', 'B', 'C'])).toBe('A, B or C');
  });

  it('keeps a configured secret exactly as given', () => {
    expect(configuredSecret(' s3cret ')).toBe(' s3cret ');
    expect(configuredSecret('\t\n')).toBeUndefined();
  });
});

describe('secretChecker', () => {
  const check = secretChecker(secret);
  it('reads a one-value array as that value, an empty one as a mismatch', () => {
    expect(check([secret])).toBe('ok');
    expect(check([''])).toBe('missing');
    expect(check([])).toBe('mismatch');
    expect(check(['x'])).toBe('mismatch');
  });
});

describe('requestSecretChecker', () => {
  it('compares header names without case', () => {
    expect(requestSecretChecker(secret, ['X-HOOK'])({ 'x-hook': secret })).toBe('ok');
  });

  it('a wrong secret in one header and none in the other is a mismatch, in either order', () => {
    expect(requestSecretChecker(secret, ['A', 'B'])({ a: 'wrong' })).toBe('mismatch');
    expect(requestSecretChecker(secret, ['A', 'B'])({ b: 'wrong' })).toBe('mismatch');
    expect(requestSecretChecker(secret, ['A', 'B'])({ a: secret, b: 'wrong' })).toBe('ok');
    expect(requestSecretChecker(secret, ['A', 'B'])({ a: '' })).toBe('missing');
  });

  it('reads a Bearer token only from Authorization, in any case, after a space', () => {
    const auth = requestSecretChecker(secret, ['Authorization']);
    expect(auth({ authorization: `bearer ${secret}` })).toBe('ok');
    expect(auth({ authorization: `BEARER    ${secret}` })).toBe('ok');
    expect(auth({ authorization: ` Bearer ${secret}` })).toBe('ok');
    expect(auth({ authorization: `Bearer${secret}` })).toBe('mismatch');
    expect(auth({ authorization: `xBearer ${secret}` })).toBe('mismatch');
    expect(auth({ authorization: 'Bearer ' })).toBe('mismatch');
    expect(requestSecretChecker(secret, ['X-Hook'])({ 'x-hook': `Bearer ${secret}` })).toBe('mismatch');
  });

  it('reads a repeated Authorization header as a repeated header, not as a token', () => {
    const auth = requestSecretChecker(secret, ['Authorization']);
    const headers = { authorization: [`Bearer ${secret}`] } as unknown as Record<string, string>;
    expect(auth(headers)).toBe('mismatch');
    expect(auth({ authorization: [secret] } as unknown as Record<string, string>)).toBe('ok');
  });

  it('checkSecret given headers reads the pinned Authorization as Bearer too', () => {
    expect(checkSecret({ authorization: `Bearer ${secret}` }, secret, 'Authorization')).toBe('ok');
    expect(checkSecret({ authorization: `Bearer ${secret}` }, secret, '')).toBe('missing');
  });
});

describe('locateSecret', () => {
  it('trims header values, and names the first place found', () => {
    expect(locateSecret(['X-One', `  ${secret} `], '/webhook', secret)).toEqual({ in: 'header', name: 'X-One' });
    expect(locateSecret(['X-One', 'no', 'X-Two', secret, 'X-Three', secret], `/webhook?q=${secret}`, secret)).toEqual({ in: 'header', name: 'X-Two' });
    expect(locateSecret(['Authorization', `Bearer ${secret}`, 'X-Two', secret], '/webhook', secret)).toEqual({ in: 'bearer', name: 'Authorization' });
    expect(locateSecret(['Authorization', secret], '/webhook', secret)).toEqual({ in: 'header', name: 'Authorization' });
    expect(locateSecret([], `/webhook?a=${secret}&b=${secret}`, secret)).toEqual({ in: 'query', name: 'a' });
  });

  it('reads a Bearer token only from an Authorization header, whatever its case', () => {
    expect(locateSecret(['AUTHORIZATION', `bearer ${secret}`], '/webhook', secret)).toEqual({ in: 'bearer', name: 'Authorization' });
    expect(locateSecret(['X-Auth', `Bearer ${secret}`], '/webhook', secret)).toBeUndefined();
  });

  it('passes over a wrong Bearer token, and reads no query from a URL without one', () => {
    expect(locateSecret(['Authorization', 'Bearer wrong', 'X-Two', secret], '/webhook', secret)).toEqual({ in: 'header', name: 'X-Two' });
    expect(locateSecret(['Authorization', 'Bearer wrong'], `/webhook?k=${secret}`, secret)).toEqual({ in: 'query', name: 'k' });
    expect(locateSecret([], `/webhook/k=${secret}`, secret)).toBeUndefined();
  });

  it('ignores a name without a value, and reads a query that starts the URL', () => {
    expect(locateSecret(['X-One', 'no', secret], '/webhook', secret)).toBeUndefined();
    expect(locateSecret([], `?k=${secret}`, secret)).toEqual({ in: 'query', name: 'k' });
    expect(locateSecret([], `/webhook${secret}`, secret)).toBeUndefined();
    expect(locateSecret([], `/webhook?${secret}`, secret)).toBeUndefined();
  });
});

describe('describeSecretLocation', () => {
  it('says where the secret came and what to do, by name only', () => {
    expect(describeSecretLocation({ in: 'header', name: 'X-Token' })).toBe('the secret came in X-Token: set SENDTALK_SECRET_HEADER=X-Token');
    expect(describeSecretLocation({ in: 'bearer', name: 'Authorization' })).toBe(
      'the secret came as an Authorization Bearer token: set SENDTALK_SECRET_HEADER=Authorization',
    );
    expect(describeSecretLocation({ in: 'query', name: 'key' })).toBe(
      'the secret came in the query string (parameter key): send it in a header instead (X-Secret-Key, as SendTalk does)',
    );
  });
});
