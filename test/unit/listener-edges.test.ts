import { afterEach, describe, expect, it, vi } from 'vitest';
import { startListener, type Delivery, type ListenerHandle } from '../../src/webhook/listener.js';
import { AcceptedDeliveries } from '../../src/webhook/request.js';
import { head } from '../helpers/raw-http.js';
import { until } from '../helpers/until.js';
import { socketsDestroyedAfterEach } from '../helpers/raw-sockets.js';

/** The listener's boundaries: the last value that passes and the first that does not. */
const SECRET = 'edges-secret-0123456789';
let listener: ListenerHandle | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

const open = socketsDestroyedAfterEach();

describe('a woken waiter', () => {
  it('is asked no more once it has its delivery', async () => {
    const accepted = new AcceptedDeliveries(10);
    const predicate = vi.fn((d: Delivery) => d.seq === 1);
    const waiting = accepted.waitFor(predicate);
    const delivery = (seq: number): Delivery => ({
      seq,
      receivedAt: '',
      method: 'POST',
      path: '/webhook',
      accepted: true,
      status: 200,
      headers: {},
      body: Buffer.alloc(0),
    });
    accepted.remember(delivery(1));
    accepted.remember(delivery(2));
    await expect(waiting).resolves.toMatchObject({ seq: 1 });
    // Asked about delivery 1 (the past was empty); never about delivery 2.
    expect(predicate.mock.calls.map(([d]) => d.seq)).toEqual([1]);
  });
});

describe('a refused sender that sends its body slowly', () => {
  it('gets its 401 at once and loses the connection after the drain time, not the request time-out', async () => {
    listener = await startListener({ secret: SECRET, limits: { maxDrainMs: 300 } });
    const socket = await open(listener.port);
    let text = '';
    let closedAt = 0;
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    socket.on('close', () => {
      closedAt = Date.now();
    });
    // 500 bytes declared, 1 sent: a sender that trickles (or stalls) after being refused.
    socket.write(
      head(
        'POST /webhook HTTP/1.1',
        [
          ['Content-Type', 'application/json'],
          ['Content-Length', 500],
        ],
        listener.port,
      ) + '{',
    );
    await until(() => /^HTTP\/1\.1 401 /.test(text), 'the 401');
    // The request time-out is 30 s: only the drain bound can close it this soon.
    await until(() => closedAt > 0, 'the connection cut after the drain bound', { timeoutMs: 5000 });
    expect(listener.accepted).toEqual([]);
  });
});
