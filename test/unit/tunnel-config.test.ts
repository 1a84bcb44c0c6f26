import { describe, expect, it } from 'vitest';
import { checkSubdomain, joinPublicUrl, normaliseTunnelHost, tunnelTargetHost } from '../../src/tunnel/tunnel-config.js';

describe('subdomains', () => {
  it.each(['acme', 'acme-otp-dev', 'a1b2c3', 'x'.repeat(63)])('accepts %s', (name) => {
    expect(checkSubdomain(name)).toBe(name);
  });

  it.each([
    ['too short', 'abc'],
    ['capital letters', 'AcmeDev'],
    ['an underscore', 'acme_dev'],
    ['a leading hyphen', '-acme-dev'],
    ['a trailing hyphen', 'acme-dev-'],
    ['a short name with a hyphen', 'ac-me'],
    ['a dot', 'acme.dev'],
    ['64 characters', 'x'.repeat(64)],
  ])('refuses %s before asking a server (which would refuse it with 403, retried forever)', (_what, name) => {
    expect(() => checkSubdomain(name)).toThrow(expect.objectContaining({ category: 'usage', hint: expect.stringMatching(/SENDTALK_SUBDOMAIN/) }));
  });
});

describe('tunnel host', () => {
  it('drops trailing slashes, since localtunnel appends "/?new"', () => {
    expect(normaliseTunnelHost('https://lt.example.com/')).toBe('https://lt.example.com');
    expect(normaliseTunnelHost('http://localhost:8080')).toBe('http://localhost:8080');
  });

  it.each(['lt.example.com', 'ftp://lt.example.com'])('refuses %s, naming SENDTALK_TUNNEL_HOST', (host) => {
    expect(() => normaliseTunnelHost(host)).toThrow(expect.objectContaining({ category: 'usage', hint: expect.stringMatching(/SENDTALK_TUNNEL_HOST/) }));
  });
});

describe('where the tunnel connects', () => {
  it('is loopback by address, never "localhost", which may resolve to ::1', () => {
    expect(tunnelTargetHost('127.0.0.1')).toBe('127.0.0.1');
    expect(tunnelTargetHost('localhost')).toBe('127.0.0.1');
    expect(tunnelTargetHost('0.0.0.0')).toBe('127.0.0.1');
    expect(tunnelTargetHost('::')).toBe('::1');
    expect(tunnelTargetHost('::1')).toBe('::1');
    expect(tunnelTargetHost('192.168.1.20')).toBe('192.168.1.20');
  });
});

describe('joinPublicUrl', () => {
  it('appends the listener path to a base, and keeps a path the user already gave', () => {
    expect(joinPublicUrl('https://abc.loca.lt', '/webhook')).toBe('https://abc.loca.lt/webhook');
    expect(joinPublicUrl('https://abc.ngrok.app/', '/webhook')).toBe('https://abc.ngrok.app/webhook');
    expect(joinPublicUrl('https://abc.ngrok.app/webhook', '/webhook')).toBe('https://abc.ngrok.app/webhook');
  });
});
