import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { listen, makeRoomAtTheCap } from '../http/server.js';
import type { ListenerHandle, ListenerLimits, ListenerOptions } from './delivery.js';
import { createListenerState, handleRequest, internalError, type ListenerState } from './request.js';

// The webhook listener's lifecycle: binding, server limits, the handle and closing. What happens
// to each request is in request.ts; what it takes and records, in delivery.ts.
// The public shapes are re-exported so that the library's entry takes the listener from one place.
export { LISTENER_LIMITS, PROBE_HEADER } from './delivery.js';
export type { Delivery, ListenerHandle, ListenerLimits, ListenerOptions, RefusalReason } from './delivery.js';

/** Starts the webhook listener. Resolves once it is bound; the handle's `url` is the local one. */
export async function startListener(options: ListenerOptions = {}): Promise<ListenerHandle> {
  const host = options.host ?? '127.0.0.1';
  const state = createListenerState(options);
  const server = createListenerServer(state);
  await listen(server, options.port ?? 0, host, 'the webhook listener');
  return listenerHandle(state, server, host);
}

/** The HTTP server with the listener's limits set, every request going to `handleRequest`. */
function createListenerServer(state: ListenerState): Server {
  const limits: ListenerLimits = state.limits;
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
    },
    (req, res) => {
      try {
        handleRequest(state, req, res);
      } catch {
        internalError(res);
      }
    },
  );
  // A sender may half-close its side once its request is sent (FIN). Node's HTTP server then ends
  // the connection at once, before an answer that waits on --log or --forward-to is written: the
  // delivery would be logged yet never acknowledged, and SendTalk would retry it. Kept half-open,
  // the answer goes out and the connection closes after it.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  makeRoomAtTheCap(server, limits.maxConnections);
  // One more than the limit, so that a request over it can be seen and refused rather than cut.
  server.maxHeadersCount = limits.maxHeadersCount + 1;
  // CONNECT is never a webhook; without this handler Node would just drop the socket.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nAllow: POST\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  return server;
}

function listenerHandle(state: ListenerState, server: Server, host: string): ListenerHandle {
  const port = (server.address() as AddressInfo).port;
  const { path, accepted, answers } = state;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`,
    host,
    port,
    path,
    server,
    accepted: accepted.list,
    waitFor: (predicate, signal) => accepted.waitFor(predicate, signal),
    answered(delivery) {
      const res = answers?.get(delivery);
      if (!res || res.writableFinished || res.destroyed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        res.once('finish', () => resolve());
        res.once('close', () => resolve());
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Connections in the middle of a request get a moment to finish, then are cut.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
      return closing;
    },
  };
}
