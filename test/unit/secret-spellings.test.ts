import { describe, expect, it } from 'vitest';
import { maskSecret, redactor, requestMasker } from '../../src/mask.js';

const SECRET = 'whsec_Q8fz2LmKp0x7RtVb';
const KEY = 'sk_live_9d8F7g6H5j4K3l2M';
// Built inside each test, not once for the file: what runs while the file loads runs before
// `npm run mutate` switches a mutant on, so a redactor built then would never be the mutated one.
const redact = (text: string): string => redactor([SECRET, KEY])(text);
const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Every 8-character window of each value, in any case: none may be left. */
function expectNone(text: string): void {
  const lower = text.toLowerCase();
  for (const value of [SECRET, KEY]) {
    for (let i = 0; i + 8 <= value.length; i++) expect(lower, `window ${value.slice(i, i + 8)}`).not.toContain(value.slice(i, i + 8).toLowerCase());
  }
}

describe('a secret or key is masked in every spelling it travels in', () => {
  it.each([
    ['as it is', SECRET],
    ['upper case', SECRET.toUpperCase()],
    ['lower case', KEY.toLowerCase()],
    ['%-encoded', encodeURIComponent(`${SECRET}/+ x`)],
    ['base64', bytes(SECRET).toString('base64')],
    ['base64 unpadded', bytes(KEY).toString('base64').replace(/=+$/, '')],
    ['base64url', bytes(SECRET).toString('base64url')],
    ['hex', bytes(SECRET).toString('hex')],
    ['HEX', bytes(KEY).toString('hex').toUpperCase()],
  ])('%s', (_name, spelling) => {
    const out = redact(`before ${spelling} after`);
    expect(out).toMatch(/^before •+\S* after$|^before \S*•+\S* after$/);
    expectNone(out);
    expect(out).not.toContain(bytes(SECRET).toString('hex').slice(0, 16));
  });

  it('any run of 8 or more characters of it, wherever it stands, is masked whole', () => {
    const out = redact(`?token=${SECRET.slice(3, 15)}&next=${KEY.slice(-9)}.`);
    expect(out).toBe('?token=••••••••&next=••••••••.');
    // A run of 7 is not a window: ordinary text that happens to share a few letters stays.
    expect(redact(`id ${SECRET.slice(0, 7)}`)).toBe(`id ${SECRET.slice(0, 7)}`);
  });

  it('a whole copy shows the mask (at most 4 characters, none for a short value), in JSON escaped', () => {
    expect(redact(`k=${KEY}`)).toBe(`k=••••3l2M`);
    expect(redactor(['abcdefghijk'])('x abcdefghijk y')).toBe('x •••••••• y');
    const quoted = 'pa"ss\\word-1234';
    expect(JSON.parse(redactor([quoted])(JSON.stringify({ v: quoted })))).toEqual({ v: '••••••••' });
  });

  it('a window that looks like a word, a header name or a number is masked only as part of a run that tells the secret apart', () => {
    const wordy = redactor(['bench-secret-0123456789']);
    // The phone number shares "12345678" with it and the header name "-secret-": both stay.
    expect(wordy('{"phone":"6281234567890","x-secret-key":"[redacted]"}')).toBe('{"phone":"6281234567890","x-secret-key":"[redacted]"}');
    // A run holding a mixed window is masked whole, its plain neighbours included.
    expect(wordy('copied: secret-0123456 by mistake')).toBe('copied: •••••••• by mistake');
    expect(wordy('x bench-secret-0123456789 y')).toBe('x ••••6789 y');
  });

  it('a secret of 4 to 7 characters is masked whole; under 4 it is left alone', () => {
    expect(redactor(['Zq7!x'])('pass Zq7!x and ZQ7!X')).toBe('pass •••••••• and ••••••••');
    expect(redactor(['Zq7!'])('pass Zq7! and zq7!.')).toBe('pass •••••••• and ••••••••.');
    expect(redactor(['abc'])('abc')).toBe('abc');
  });

  it('a run of exactly 8 is a window; a run from the start shows no last characters it does not hold', () => {
    expect(redact(`id ${SECRET.slice(5, 13)}.`)).toBe('id ••••••••.');
    // The whole copy's mask shows its last 4 characters; a start alone must not (they were never there).
    expect(redact(`x ${SECRET.slice(0, 12)} y`)).toBe('x •••••••• y');
    expect(redact(`x ${SECRET.slice(6)} y`)).toBe('x •••••••• y');
  });

  it('masks each of several values where it stands, whatever order they are found in', () => {
    expect(redact(`a ${KEY} b ${SECRET} c ${KEY.toUpperCase()}`)).toBe('a ••••3l2M b ••••RtVb c ••••3l2M');
    expect(redact(`${SECRET}${SECRET}`)).toBe('••••RtVb••••RtVb');
  });

  it('finds them in text whose lower case is longer than it is (İ), and masks the right characters', () => {
    expect(redact(`İİ ${SECRET} İ ${KEY.toUpperCase()} İ`)).toBe('İİ ••••RtVb İ ••••3l2M İ');
    expect(redact(`İ ${SECRET.slice(4, 14)}!`)).toBe('İ ••••••••!');
    expect(redact('İstanbul, nothing here')).toBe('İstanbul, nothing here');
  });

  it('base64 without its padding, and a space sent as + in a query, are the secret too', () => {
    // 22 bytes: base64 ends in "==", which a sender may drop.
    const padded = 'whsec_pad_0123456789AB';
    const unpadded = bytes(padded).toString('base64').replace(/=+$/, '');
    expect(bytes(padded).toString('base64').endsWith('==')).toBe(true);
    expect(redactor([padded])(`x ${unpadded} y`)).toBe('x ••••89AB y');
    const spaced = 'my secret phrase 42';
    expect(redactor([spaced])('q=my+secret+phrase+42&x=1')).toBe('q=••••e 42&x=1');
  });

  it('the mask of a whole copy: its last 4 characters from 16 up, nothing shorter; as it is outside JSON, escaped inside', () => {
    expect(maskSecret('0123456789abcdef')).toBe('••••cdef');
    expect(maskSecret('0123456789abcde')).toBe('••••••••');
    expect(maskSecret('')).toBe('(not set)');
    expect(maskSecret(undefined)).toBe('(not set)');
    const quoted = 'se"cr\\et-0123456"\\89';
    expect(redactor([quoted])(`plain ${quoted}.`)).toBe('plain ••••"\\89.');
    expect(redactor([quoted])(JSON.stringify({ v: quoted }))).toBe(JSON.stringify({ v: '••••"\\89' }));
  });

  it('text without any of it comes back as it was, the same string', () => {
    const text = '{"type":"delivery","headers":{"x-secret-key":"[redacted]"},"status":"verified"}';
    expect(redact(text)).toBe(text);
  });
});

describe('the listener masks the secret in every spelling in what it records', () => {
  it('headers and query values: upper case and hex count', () => {
    const masker = requestMasker([SECRET])!;
    expect(masker.carriesSecret(`Bearer ${SECRET.toUpperCase()}`)).toBe(true);
    expect(masker.carriesSecret(bytes(SECRET).toString('hex').toUpperCase())).toBe(true);
    expect(masker.carriesSecret('application/json')).toBe(false);
    expect(masker.path(`/webhook?a=${bytes(SECRET).toString('hex')}&b=${SECRET.toUpperCase()}`)).toBe('/webhook?a=[redacted]&b=[redacted]');
  });
});
