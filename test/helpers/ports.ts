import { createServer, connect } from 'node:net';

/**
 * A port that was free a moment ago, for the code under test to bind. Taken below the kernel's
 * ephemeral range (32768–60999 on Linux), at random: a port the OS hands to `listen(0)` could be
 * handed again, between our check and the CLI's bind, to a server another test starts at the same
 * moment (seen under load); the servers of tests bind port 0, so they never land down here.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free) continue;
    handedOut.add(port);
    return port;
  }
}
const handedOut = new Set<number>();

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
