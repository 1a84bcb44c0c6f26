import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/doctor/run-doctor.js';
import type { TunnelHandle, TunnelOptions } from '../../src/tunnel/types.js';

/** A tunnel that "opens" at once and leads straight to the listener: no network. */
async function openStraight(options: TunnelOptions): Promise<TunnelHandle> {
  return { url: `http://127.0.0.1:${options.port}`, subdomain: 'sendtalk-abcdefghij', flush: async () => {}, reopen: () => {}, close: async () => {} };
}

async function tunnelRow(host: string | undefined) {
  const checks = await runDoctor({
    tunnel: { kind: 'localtunnel', host, subdomain: 'sendtalk-abcdefghij' },
    openTunnel: openStraight,
    secret: { value: 'whsec_doctor_note_1', source: 'flag' },
  });
  return checks.find((c) => c.id === 'tunnel')!;
}

describe("doctor on localtunnel's unencrypted last leg", () => {
  it('says the secret crosses it in clear, and what to use instead, for a server elsewhere', async () => {
    for (const host of [undefined, 'https://tunnel.example.com']) {
      const row = await tunnelRow(host);
      expect(row.status).toBe('pass');
      expect(row.note).toMatch(/last leg .* unencrypted TCP: the webhook secret crosses it in clear/);
      expect(row.note).toMatch(/SENDTALK_TUNNEL_HOST/);
      expect(row.note).toMatch(/cloudflared/);
      expect(row.note).toMatch(/--tunnel URL/);
    }
  });

  it('has nothing to say when the tunnel server runs on this machine', async () => {
    for (const host of ['http://localhost:1234', 'http://127.0.0.1:1234', 'http://[::1]:1234']) {
      expect((await tunnelRow(host)).note).toBeUndefined();
    }
  });
});
