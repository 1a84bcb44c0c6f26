/**
 * The part of localtunnel 2.0.2 (pinned exactly in package.json) that src/tunnel relies on: its
 * client class, including the two steps of its `open()` we call ourselves after registering
 * (`_getInfo`, `_establish`). The package ships no types; these are written from its source
 * (lib/Tunnel.js, lib/TunnelCluster.js) and cover only what we call.
 */
declare module 'localtunnel/lib/Tunnel' {
  import { EventEmitter } from 'node:events';
  import type { Socket } from 'node:net';

  namespace Tunnel {
    interface Options {
      port: number;
      /** Tunnel server base URL. */
      host?: string;
      subdomain?: string;
      /** Host the client connects to for the local server; also rewrites the Host header to it. */
      local_host?: string;
    }

    /** What `_getInfo` makes of the server's registration answer. */
    interface Info {
      name: string;
      url: string;
      cached_url?: string;
      max_conn: number;
    }

    /** Groups the client's TCP connections to the server; set by `_establish`. */
    interface TunnelCluster extends EventEmitter {
      /** Emitted with the socket each time a connection to the server opens. */
      on(event: 'open', listener: (remote: Socket) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }
  }

  class Tunnel extends EventEmitter {
    constructor(options: Tunnel.Options);
    url?: string;
    clientId?: string;
    cachedUrl?: string;
    closed: boolean;
    tunnelCluster?: Tunnel.TunnelCluster;
    /** Reads the server's registration answer (`id`, `port`, `max_conn_count`, `url`, …). */
    _getInfo(body: Record<string, unknown>): Tunnel.Info;
    /** Opens the connection pool to the server that the answer describes. */
    _establish(info: Tunnel.Info): void;
    close(): void;
  }

  export = Tunnel;
}
