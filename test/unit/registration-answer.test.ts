import { describe, expect, it } from 'vitest';
import { checkRegistrationAnswer, MAX_TUNNEL_CONNECTIONS } from '../../src/tunnel/registration-answer.js';

// What a localtunnel server's registration answer must hold before localtunnel may act on it
// (the end-to-end tests put hostile servers in front of the CLI; these pin each rule).

const good = { id: 'abc-123', port: 40_000, url: 'https://abc-123.loca.lt', max_conn_count: 10 };

describe('checkRegistrationAnswer', () => {
  it('takes a sound answer as it is', () => {
    expect(checkRegistrationAnswer(good)).toEqual(good);
    expect(checkRegistrationAnswer({ ...good, ip: '193.34.76.44', cached_url: 'https://abc.loca.lt' })).toEqual({
      ...good,
      ip: '193.34.76.44',
      cached_url: 'https://abc.loca.lt',
    });
    expect(checkRegistrationAnswer({ ...good, ip: '::1' })).toMatchObject({ ip: '::1' });
  });

  it('clamps the pool to 1–10 connections, reading anything odd as 1', () => {
    expect(MAX_TUNNEL_CONNECTIONS).toBe(10);
    const pool = (count: unknown): unknown => (checkRegistrationAnswer({ ...good, max_conn_count: count }) as { max_conn_count: number }).max_conn_count;
    expect(pool(10_000_000)).toBe(10);
    expect(pool(11)).toBe(10);
    expect(pool(3.9)).toBe(3);
    expect(pool(1)).toBe(1);
    expect(pool(0)).toBe(1);
    expect(pool(-5)).toBe(1);
    expect(pool(undefined)).toBe(1);
    expect(pool('8')).toBe(1);
    expect(pool(Number.POSITIVE_INFINITY)).toBe(1);
  });

  it('refuses an answer without a usable id, saying what came', () => {
    expect(checkRegistrationAnswer({ ...good, id: undefined })).toEqual({ problem: 'no usable tunnel id (missing)' });
    expect(checkRegistrationAnswer({ ...good, id: '-leading-dash' })).toEqual({ problem: 'no usable tunnel id ("-leading-dash")' });
    expect(checkRegistrationAnswer({ ...good, id: 'a'.repeat(64) })).toMatchObject({ problem: expect.stringMatching(/^no usable tunnel id \("a{59}…\)$/) });
    expect(checkRegistrationAnswer({ ...good, id: 'a'.repeat(63) })).toMatchObject({ id: 'a'.repeat(63) });
    expect(checkRegistrationAnswer({ ...good, id: 'has space' })).toMatchObject({ problem: expect.stringMatching(/^no usable tunnel id/) });
    expect(checkRegistrationAnswer({ ...good, id: 7 })).toEqual({ problem: 'no usable tunnel id (7)' });
  });

  it('refuses a port outside 1–65535 or not a whole number', () => {
    for (const port of [0, 65_536, -1, 1.5, '40000', undefined]) {
      expect(checkRegistrationAnswer({ ...good, port }), String(port)).toMatchObject({
        problem: expect.stringMatching(/^no usable port \(.*; 1–65535 expected\)$/),
      });
    }
    expect(checkRegistrationAnswer({ ...good, port: 1 })).toMatchObject({ port: 1 });
    expect(checkRegistrationAnswer({ ...good, port: 65_535 })).toMatchObject({ port: 65_535 });
  });

  it('refuses a public URL that is not http(s), and an address that is no IP; drops an odd cached URL', () => {
    expect(checkRegistrationAnswer({ ...good, url: 'javascript:alert(1)' })).toEqual({
      problem: 'no usable public URL ("javascript:alert(1)"; an http(s) URL expected)',
    });
    expect(checkRegistrationAnswer({ ...good, url: undefined })).toMatchObject({ problem: expect.stringMatching(/^no usable public URL \(missing;/) });
    expect(checkRegistrationAnswer({ ...good, ip: 'evil.example' })).toEqual({
      problem: 'an address to connect to that is not an IP address ("evil.example")',
    });
    expect(checkRegistrationAnswer({ ...good, ip: 12 })).toMatchObject({ problem: expect.stringMatching(/not an IP address \(12\)/) });
    expect(checkRegistrationAnswer({ ...good, ip: null })).toEqual(good);
    expect(checkRegistrationAnswer({ ...good, cached_url: 'ftp://x' })).toEqual(good);
  });
});
