import { afterEach, describe, expect, it } from 'vitest';
import { serversStoppedAfterEach } from '../helpers/cleanup.js';
import { runCli } from '../helpers/cli.js';
import { killAll, startListen } from '../helpers/listen-process.js';
import { freePort } from '../helpers/ports.js';
import { CorrectEndpoint } from '../helpers/webhook-endpoints.js';
import { pointsAtListener } from '../../src/webhook/forward-delivery.js';

const SECRET = 'whsec_forward_loop_never_printed_11';
const started = serversStoppedAfterEach();
afterEach(async () => {
  await killAll();
});

describe('--forward-to and loops', () => {
  it('refuses at start to forward to the listener itself (exit 2)', async () => {
    const port = await freePort();
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
      const r = await runCli(['listen', '--tunnel', 'none', '--port', String(port), '--forward-to', `http://${host}:${port}/webhook`, '--max-events', '1']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('points at this listener itself');
    }
  });

  it('never forwards a delivery that carries its own forwarding mark', async () => {
    const app = await started(new CorrectEndpoint(SECRET));
    const listen = startListen(['--tunnel', 'none', '--secret', SECRET, '--json', '--forward-to', app.url, '--max-events', '2']);
    const url = (await listen.line('ready')).localUrl as string;
    const send = (extra: Record<string, string>) =>
      fetch(url, { method: 'POST', headers: { 'x-secret-key': SECRET, 'content-type': 'application/json', ...extra }, body: '{"verificationID":"v-loop"}' });
    expect((await send({ 'x-sendtalk-verify-forwarded': '7' })).status).toBe(200);
    expect((await send({})).status).toBe(200);
    expect((await listen.done).code).toBe(0);
    const deliveries = listen.lines().filter((l) => l.type === 'delivery');
    expect((deliveries[0]!.forward as { error: string }).error).toMatch(/^not forwarded: it carries x-sendtalk-verify-forwarded/);
    expect(deliveries[1]!.forward).toMatchObject({ status: 200 });
    expect(app.requests).toHaveLength(1);
    expect(app.requests[0]!.headers['x-sendtalk-verify-forwarded']).toBe('2');
  });

  it('pointsAtListener knows loopback names and unspecified binds', () => {
    expect(pointsAtListener('http://127.0.0.2:80/x', { host: '127.0.0.1', port: 80 })).toBe(true);
    expect(pointsAtListener('http://app.localhost:8787/', { host: '127.0.0.1', port: 8787 })).toBe(true);
    expect(pointsAtListener('http://192.168.1.5:8787/', { host: '0.0.0.0', port: 8787 })).toBe(true);
    expect(pointsAtListener('http://localhost:3000/', { host: '127.0.0.1', port: 8787 })).toBe(false);
    expect(pointsAtListener('https://example.com/', { host: '127.0.0.1', port: 443 })).toBe(false);
  });
});
