import type { Socket } from 'node:net';
import { SendtalkVerifyError } from '../errors.js';
import type { SessionRequest, TunnelConnector, TunnelSession } from './types.js';

/**
 * The localtunnel package behind the `TunnelConnector` interface. What it does on its own, and
 * what this adapter adds, from localtunnel 2.0.2's source:
 * - registration (`GET /?new` or `GET /<subdomain>` with axios) is retried every second forever
 *   on any failure, and cannot be cancelled: `abandon()` closes the client if it registers late;
 * - an `'error'` without a listener crashes the process: one is attached before anything starts;
 * - its connections to the server are announced by `tunnelCluster` `'open'` events; counting their
 *   `'close'` tells the supervisor when none is left, because localtunnel never re-registers.
 * The package is imported on first use so that `--help` does not load it.
 */
export const connectLocaltunnel: TunnelConnector = (request, listener) => {
  let abandoned = false;
  let client: import('localtunnel').Tunnel | undefined;
  const session = import('localtunnel').then(({ default: localtunnel }) => new Promise<TunnelSession>((resolve, reject) => {
    if (abandoned) return reject(new Error('abandoned'));
    client = localtunnel({
      port: request.localPort,
      host: request.host,
      local_host: request.localHost,
      ...(request.subdomain ? { subdomain: request.subdomain } : {}),
    }, (error, registered) => {
      if (error || !registered) return reject(registrationError(request, error));
      if (abandoned) {
        registered.close();
        return reject(new Error('abandoned'));
      }
      // The cluster exists from this callback on, and none of its sockets has connected yet.
      const cluster = registered.tunnelCluster;
      if (!cluster) {
        registered.close();
        return reject(new SendtalkVerifyError('internal', 'The localtunnel client has no connection pool; is localtunnel 2.0.2 installed?'));
      }
      let live = 0;
      cluster.on('open', (remote: Socket) => {
        live++;
        listener.connections(live);
        remote.once('close', () => {
          live--;
          listener.connections(live);
        });
      });
      resolve(sessionOf(registered));
    });
    client.on('error', (error: Error) => listener.error(error));
    client.on('request', (info: { method?: string; path?: string }) => listener.request(info.method ?? '?', info.path ?? '?'));
  }));
  // An abandoned registration rejects when nobody waits for it any more: never let that be unhandled.
  session.catch(() => {});
  return {
    session,
    abandon() {
      abandoned = true;
      client?.close();
    },
  };
};

function sessionOf(client: import('localtunnel').Tunnel): TunnelSession {
  return {
    url: client.url ?? '',
    clientId: client.clientId ?? '',
    close() {
      if (!client.closed) client.close();
    },
  };
}

/** localtunnel calls back with an error only when the server answered a 2xx other than 200. */
function registrationError(request: SessionRequest, error: Error | null): SendtalkVerifyError {
  return new SendtalkVerifyError('tunnel', `The tunnel server ${request.host} refused the tunnel: ${error?.message ?? 'no client'}.`, {
    hint: 'Try again, point --tunnel-host at another localtunnel server, or use your own tunnel with --public-url.',
    cause: error ?? undefined,
  });
}
