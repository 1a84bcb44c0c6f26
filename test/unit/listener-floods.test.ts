import { request } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startListener, type ListenerHandle } from '../../src/webhook/listener.js';
import { socketsDestroyedAfterEach } from '../helpers/raw-sockets.js';

/** Refused requests in quantity: the listener's memory, CPU and door stay bounded. */
const SECRET = 'flood-secret-0987654321';
let listener: ListenerHandle | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

const open = socketsDestroyedAfterEach();

/** Sends one request on a kept-alive socket and resolves with the answer's head once it is whole. */
function exchange(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (d: Buffer): void => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(got)?.[1] ?? 0);
      if (end >= 0 && got.length >= end + 4 + length) {
        socket.off('data', onData);
        resolve(got);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(text);
  });
}

const closed = (socket: Socket): Promise<void> => new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

function deliver(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { port, host: '127.0.0.1', path: '/webhook', method: 'POST', agent: false, headers: { 'secret-key': SECRET, 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        resolve(res.statusCode!);
      },
    );
    req.on('error', reject);
    req.end('{"verificationID":"v-real"}');
  });
}

describe('a refused body without a declared length', () => {
  it('is read up to the drain cap, then the connection is cut', async () => {
    listener = await startListener({ secret: SECRET, limits: { maxDrainBytes: 256 * 1024 } });
    const socket = await open(listener.port);
    let answer = '';
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
    });
    socket.write(`POST /webhook HTTP/1.1\r\nHost: x\r\nSecret-Key: wrong\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
    let sent = 0;
    // Endless as far as the listener can tell; bounded here (64 MiB) so the test ends whatever happens.
    while (!socket.destroyed && sent < 64 * 1024 * 1024) {
      if (!socket.write(frame))
        await new Promise((resolve) => {
          socket.once('drain', resolve);
          socket.once('close', resolve);
        });
      sent += frame.length;
    }
    await closed(socket);
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    // The cap (256 KiB) plus what the socket buffers held when it was cut: far from 64 MiB.
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });
});

describe('a connection that keeps being refused', () => {
  it('is closed on its third refusal', async () => {
    listener = await startListener({ secret: SECRET });
    const socket = await open(listener.port);
    const get = 'GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    expect(await exchange(socket, get)).not.toMatch(/connection: close/i);
    expect(await exchange(socket, get)).not.toMatch(/connection: close/i);
    expect(await exchange(socket, get)).toMatch(/connection: close/i);
    await closed(socket);
  });
});

describe('idle connections at the connection cap', () => {
  it('make room for a real delivery instead of locking it out', async () => {
    listener = await startListener({ secret: SECRET, limits: { maxConnections: 8 } });
    for (let i = 0; i < 8; i++) {
      const socket = await open(listener.port);
      expect(await exchange(socket, 'GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 404/);
    }
    // Eight keep-alive connections, idle between their refused requests, fill the cap.
    expect(await deliver(listener.port)).toBe(200);
    expect(listener.accepted.map((d) => d.verificationId)).toEqual(['v-real']);
  });

  it('still drops a new connection when every one is busy in a request', async () => {
    listener = await startListener({ secret: SECRET, limits: { maxConnections: 2 } });
    let inRequest = 0;
    const both = new Promise<void>((resolve) =>
      listener!.server.on('request', () => {
        if (++inRequest === 2) resolve();
      }),
    );
    for (let i = 0; i < 2; i++)
      (await open(listener.port)).write('POST /webhook HTTP/1.1\r\nHost: x\r\nSecret-Key: flood-secret-0987654321\r\nContent-Length: 100\r\n\r\n{');
    await both; // both connections are in the middle of a request (their bodies never finish)
    const extra = await open(listener.port);
    await closed(extra);
    expect(extra.destroyed).toBe(true);
  });
});
