import { describe, expect, it } from 'vitest';
import { diagnoseRegistration, registrationTimeoutError } from '../../src/tunnel/diagnose-registration.js';
import { serversStoppedAfterEach } from '../helpers/cleanup.js';
import { FakeApi } from '../helpers/fake-api.js';
import { freePort } from '../helpers/ports.js';

// What the user is told when a localtunnel server did not register a tunnel in time: one bounded
// request to the same registration URL, and what the server says to it.

const started = serversStoppedAfterEach();

/** A tunnel server that answers every request with `status` and `body` (an object as JSON, a string as HTML). */
async function tunnelServer(status: number, body: string | object): Promise<{ host: string; paths: () => string[]; agents: () => string[] }> {
  const server = await started(new FakeApi({ status, body }));
  return {
    host: server.url,
    paths: () => server.requests.map((r) => r.url),
    agents: () => server.requests.map((r) => String(r.headers['user-agent'] ?? '')),
  };
}

describe('diagnoseRegistration', () => {
  it('asks for the subdomain it wanted, or a new one, as localtunnel does', async () => {
    const tunnel = await tunnelServer(200, {});
    expect(await diagnoseRegistration(tunnel.host, 'my-name')).toBe('it answers now, but did not in time');
    expect(await diagnoseRegistration(tunnel.host, undefined)).toBe('it answers now, but did not in time');
    expect(tunnel.paths()).toEqual(['/my-name', '/?new']);
    expect(tunnel.agents()[0]).toMatch(/^sendtalk-verify\//);
  });

  it("quotes the server's JSON message, or its page's title, with the status", async () => {
    expect(await diagnoseRegistration((await tunnelServer(503, { message: 'no tunnels available' })).host, undefined)).toBe(
      'it answered HTTP 503: no tunnels available',
    );
    expect(await diagnoseRegistration((await tunnelServer(502, '<html><title> Bad Gateway </title></html>')).host, undefined)).toBe(
      'it answered HTTP 502 ("Bad Gateway")',
    );
    expect(await diagnoseRegistration((await tunnelServer(500, { message: '' })).host, undefined)).toBe('it answered HTTP 500');
  });

  it('says the server did not answer when nothing listens there', async () => {
    const why = await diagnoseRegistration(`http://127.0.0.1:${await freePort()}`, undefined, 1000);
    expect(why).toMatch(/refused|did not answer/i);
  });
});

describe('registrationTimeoutError', () => {
  it('says the tunnel registered but no connection opened, when it had a URL', async () => {
    const error = await registrationTimeoutError('https://localtunnel.me', undefined, 20_000, 'https://x.loca.lt');
    expect(error.category).toBe('tunnel');
    expect(error.message).toBe('The tunnel registered https://x.loca.lt but no connection to the server opened within 20.0 s.');
    expect(error.hint).toMatch(/SENDTALK_TUNNEL_TIMEOUT.*--tunnel URL/);
  });

  it('otherwise names the host, the time waited and what the server says now', async () => {
    const tunnel = await tunnelServer(503, { message: 'busy' });
    const error = await registrationTimeoutError(tunnel.host, undefined, 2000, undefined);
    expect(error.message).toBe(`Could not open a tunnel: ${tunnel.host} did not register one within 2.0 s (it answered HTTP 503: busy).`);
    expect(error.details).toEqual({ tunnelHost: tunnel.host });
  });
});
