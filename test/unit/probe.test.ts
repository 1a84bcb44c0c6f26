import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { newProbeToken, probePublicUrl } from '../../src/tunnel/probe.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server at the "public URL" that answers every request with `body`, HTTP 200. */
async function answering(body: string): Promise<string> {
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
}

describe('the probe of a public URL', () => {
  it('is not fooled by a server that answers 200 to anything', async () => {
    const url = await answering('{"ok":true}');
    await expect(probePublicUrl(url, newProbeToken())).resolves.toMatchObject({ ok: false, status: 200 });
  });

  it('is not fooled by another run of this tool (another token)', async () => {
    const url = await answering(JSON.stringify({ ok: true, probe: newProbeToken() }));
    await expect(probePublicUrl(url, newProbeToken())).resolves.toMatchObject({ ok: false, status: 200 });
  });

  it('passes only when its own token comes back', async () => {
    const token = newProbeToken();
    const url = await answering(JSON.stringify({ ok: true, probe: token }));
    await expect(probePublicUrl(url, token)).resolves.toMatchObject({ ok: true });
  });
});
