import { describe, expect, it } from 'vitest';
import { LogTail, readCloudflaredLine } from '../../src/tunnel/cloudflared-log.js';

// Lines shaped like cloudflared's own (quick tunnels, 2021–2025 versions).
const BOX_URL = '2024-06-01T10:00:03Z INF |  https://buffalo-marco-cardiff-motel.trycloudflare.com                                     |';

describe("reading cloudflared's log", () => {
  it('takes the URL only from the box around it, never from a notice that links somewhere', () => {
    expect(readCloudflaredLine(BOX_URL)).toEqual({ type: 'url', url: 'https://buffalo-marco-cardiff-motel.trycloudflare.com' });
    expect(
      readCloudflaredLine('2024-06-01T10:00:00Z INF Thank you for trying Cloudflare Tunnel. … terms (https://www.cloudflare.com/website-terms/), and …'),
    ).toEqual({ type: 'other' });
    expect(
      readCloudflaredLine('2024-06-01T10:00:03Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |'),
    ).toEqual({ type: 'other' });
    // A failed request for a quick tunnel draws the box with nothing in it.
    expect(
      readCloudflaredLine('2021-11-22T17:45:06Z INF |                                                                                            |'),
    ).toEqual({ type: 'other' });
    // The tests' stand-in prints a loopback http URL in the same box: accepted the same way.
    expect(readCloudflaredLine('2024-06-01T10:00:03Z INF |  http://127.0.0.1:40123                                        |')).toEqual({
      type: 'url',
      url: 'http://127.0.0.1:40123',
    });
  });

  it('knows a registered connection in current and older wording, with its protocol', () => {
    expect(
      readCloudflaredLine(
        '2024-06-01T10:00:04Z INF Registered tunnel connection connIndex=0 connection=0c3e… event=0 ip=198.41.200.13 location=ams01 protocol=quic',
      ),
    ).toEqual({ type: 'registered', protocol: 'quic' });
    expect(readCloudflaredLine('2022-06-01T16:23:12Z INF Connection c206cf44-945f-4c3c-a85c-af60c6338dc2 registered connIndex=0 location=ORD')).toEqual({
      type: 'registered',
    });
    expect(readCloudflaredLine('2022-08-21T00:22:25Z INF Unregistered tunnel connection connIndex=2')).toEqual({ type: 'other' });
  });

  it('knows QUIC failures, with their reason, and the version', () => {
    expect(
      readCloudflaredLine(
        '2025-09-23T19:49:03Z ERR Failed to dial a quic connection error="failed to dial to edge with quic: timeout: handshake did not complete in time" connIndex=0 event=0 ip=198.41.192.227',
      ),
    ).toEqual({ type: 'quic-failed', reason: 'failed to dial to edge with quic: timeout: handshake did not complete in time' });
    expect(
      readCloudflaredLine(
        '2022-07-25T12:47:05Z WRN Failed to create new quic connection error="failed to dial to edge with quic: timeout: no recent network activity" connIndex=0',
      ),
    ).toMatchObject({ type: 'quic-failed' });
    expect(readCloudflaredLine('2023-04-18T14:06:49Z INF Version 2023.4.0')).toEqual({ type: 'version', version: '2023.4.0' });
  });

  it('keeps the last lines, split across chunks, for an error', () => {
    const tail = new LogTail(2);
    expect(tail.push('one\ntw')).toEqual(['one']);
    expect(tail.push('o\nthree\n')).toEqual(['two', 'three']);
    expect(tail.text()).toBe('    two\n    three');
  });

  it('keeps 12 lines by default, drops blank ones, reads CRLF, and cuts a line only past 300 characters', () => {
    const tail = new LogTail();
    expect(tail.text()).toBe('');
    expect(tail.push('a\r\n\r\n   \nb\n')).toEqual(['a', 'b']);
    for (let i = 1; i <= 12; i++) tail.push(`line ${i}\n`);
    expect(tail.text().split('\n')).toEqual(Array.from({ length: 12 }, (_, i) => `    line ${i + 1}`));
    tail.push(`${'x'.repeat(300)}\n${'y'.repeat(301)}\n`);
    const [exact, cut] = tail.text().split('\n').slice(-2);
    expect(exact).toBe(`    ${'x'.repeat(300)}`);
    expect(cut).toBe(`    ${'y'.repeat(300)}…`);
  });

  it('strips every trailing slash of the URL, and names a QUIC failure without a reason', () => {
    expect(readCloudflaredLine('INF |  https://a-b-c.trycloudflare.com//  |')).toEqual({ type: 'url', url: 'https://a-b-c.trycloudflare.com' });
    expect(readCloudflaredLine('WRN egress UDP to port 7844 is blocked')).toEqual({ type: 'quic-failed', reason: 'QUIC could not connect' });
  });
});
