import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runExchange as sendRequest } from '../../src/http/client.js';
import { freePort } from '../helpers/ports.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handler: RequestListener): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('runExchange', () => {
  it('returns the status and the start of the body', async () => {
    const url = await serve((_req, res) => res.end('x'.repeat(10_000)));
    const x = await sendRequest({ url, method: 'POST', headers: {}, body: Buffer.from('{}') }, { keepBodyBytes: 100 });
    expect(x.status).toBe(200);
    expect(x.body.length).toBe(100);
    expect(x.requestSent).toBe(true);
  });

  it('bounds the whole exchange: a server that never answers is a timeout, not a hang', async () => {
    const url = await serve(() => {});
    const x = await sendRequest({ url, method: 'POST', headers: {}, body: Buffer.from('{}') }, { timeoutMs: 200 });
    expect(x.status).toBeUndefined();
    expect(x.failure).toMatchObject({ kind: 'timeout', message: 'no answer within 200 ms' });
  });

  it('bounds a body that trickles forever, keeping the status that came', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('.'), 20);
      res.on('close', () => clearInterval(timer));
    });
    const x = await sendRequest({ url, method: 'GET', headers: {} }, { timeoutMs: 300 });
    expect(x.status).toBe(200);
    expect(x.bodyIncomplete).toBe(true);
  });

  it('reports a refused connection and an invalid URL as failures', async () => {
    const refused = await sendRequest({ url: `http://127.0.0.1:${await freePort()}/`, method: 'POST', headers: {} });
    expect(refused.failure).toMatchObject({ kind: 'refused', code: 'ECONNREFUSED', message: 'connection refused' });
    const invalid = await sendRequest({ url: 'ftp://example/', method: 'POST', headers: {} });
    expect(invalid.failure?.kind).toBe('invalid-url');
  });

  it('reports a connection closed without an answer', async () => {
    const url = await serve((req) => req.socket.destroy());
    const x = await sendRequest({ url, method: 'POST', headers: {}, body: Buffer.from('{}') });
    expect(x.failure?.kind).toBe('reset');
  });

  it('stops at once when aborted', async () => {
    const url = await serve(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const x = await sendRequest({ url, method: 'POST', headers: {} }, { timeoutMs: 10_000, signal: controller.signal });
    expect(x.failure?.kind).toBe('aborted');
  });
});
