import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Output } from '../../src/cli/output.js';
import { showTunnelEvent, tunnelStateLabel } from '../../src/cli/views/tunnel-view.js';
import type { TunnelEvent } from '../../src/tunnel/types.js';

/** What showTunnelEvent writes on stderr, without colours. */
function shown(event: TunnelEvent, webhookUrl: string | undefined, previous?: string, provider?: string): string {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  const output = new Output({}, sink, sink);
  showTunnelEvent(output, event, webhookUrl, previous, provider);
  return text;
}

const OLD = 'https://sendtalk-abcdefghij.loca.lt/webhook';
const NEW = 'https://quiet-fox-12.loca.lt/webhook';

describe('the tunnel events people read', () => {
  it('a tunnel re-opened under a new URL: the old and new URL and the dashboard steps, and no advice that no longer holds', () => {
    const text = shown(
      { type: 'reopened', url: 'https://quiet-fox-12.loca.lt', previousUrl: 'https://sendtalk-abcdefghij.loca.lt', changed: true },
      NEW,
      OLD,
      'localtunnel',
    );
    expect(text).toContain(`was: ${OLD}`);
    expect(text).toContain(`now: ${NEW}`);
    expect(text).toMatch(/Verification Config → Edit → Webhook URL → paste the new URL → Save Changes/);
    expect(text).toMatch(/NEW secret key: copy it into SENDTALK_WEBHOOK_SECRET/);
    expect(text).toMatch(/did not give the old name back/);
    expect(text).toMatch(/remembered/);
    // The subdomain is derived from the key already: --subdomain is no remedy for a re-opening.
    expect(text).not.toMatch(/--subdomain/);
  });

  it("a quick tunnel's restart says its URL is new whenever it restarts", () => {
    const text = shown(
      { type: 'reopened', url: 'https://b.trycloudflare.com', previousUrl: 'https://a.trycloudflare.com', changed: true },
      'https://b.trycloudflare.com/webhook',
      'https://a.trycloudflare.com/webhook',
      'cloudflared',
    );
    expect(text).toMatch(/cloudflared quick tunnel gets a new URL whenever it restarts/);
    expect(text).not.toMatch(/old name back|--subdomain/);
  });

  it('the same URL after a re-opening is one line', () => {
    expect(
      shown(
        { type: 'reopened', url: 'https://x.loca.lt', previousUrl: 'https://x.loca.lt', changed: false },
        'https://x.loca.lt/webhook',
        'https://x.loca.lt/webhook',
      )
        .trim()
        .split('\n'),
    ).toHaveLength(1);
  });

  it('every kind of event is handled: the two new ones from the watchdog and from --tunnel auto', () => {
    expect(shown({ type: 'fallback', what: 'provider', from: 'localtunnel', to: 'cloudflared', reason: 'HTTP 503' }, undefined)).toMatch(
      /localtunnel could not open a tunnel \(HTTP 503\); trying cloudflared/,
    );
    expect(shown({ type: 'state', state: 'down', previous: 'checking', reason: 'HTTP 502' }, 'https://own.example/webhook')).toMatch(
      /stopped reaching this listener: HTTP 502/,
    );
    expect(shown({ type: 'state', state: 'up', previous: 'down' }, 'https://own.example/webhook')).toMatch(/reaches this listener again/);
    // Routine checks stay on the spinner line.
    expect(shown({ type: 'state', state: 'checking', previous: 'up' }, 'https://own.example/webhook')).toBe('');
    expect(tunnelStateLabel({ type: 'state', state: 're-opening', previous: 'checking', reason: 'HTTP 408' })).toBe('tunnel re-opening: HTTP 408');
  });
});
