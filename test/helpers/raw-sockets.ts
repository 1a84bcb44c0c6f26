import { connect, type Socket } from 'node:net';
import { cleanupAfterEach } from './cleanup.js';

/**
 * Raw loopback sockets for tests that speak HTTP by hand (keep-alive, half-sent requests): `open`
 * resolves once connected, and every socket is destroyed after its test, whatever the test did.
 * Call it after the file's own afterEach: its sockets are destroyed first, so a server's close
 * never waits on them.
 */
export function socketsDestroyedAfterEach(): (port: number) => Promise<Socket> {
  const defer = cleanupAfterEach();
  return (port) =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket));
      socket.on('error', reject);
      defer(() => socket.destroy());
    });
}
