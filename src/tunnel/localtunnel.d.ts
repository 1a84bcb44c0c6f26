/**
 * The part of localtunnel 2.0.2 (pinned exactly in package.json) that src/tunnel relies on. The
 * package ships no types; these are written from its source (localtunnel.js, lib/Tunnel.js,
 * lib/TunnelCluster.js) and cover only what we call.
 */
declare module 'localtunnel' {
  import type { EventEmitter } from 'node:events';
  import type { Socket } from 'node:net';

  namespace localtunnel {
    interface Options {
      port: number;
      /** Tunnel server base URL. */
      host?: string;
      subdomain?: string;
      /** Host the client connects to for the local server; also rewrites the Host header to it. */
      local_host?: string;
    }

    /** Groups the client's TCP connections to the server; set once registered. */
    interface TunnelCluster extends EventEmitter {
      /** Emitted with the socket each time a connection to the server opens. */
      on(event: 'open', listener: (remote: Socket) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }

    interface Tunnel extends EventEmitter {
      /** Set once registered. */
      url?: string;
      clientId?: string;
      closed: boolean;
      tunnelCluster?: TunnelCluster;
      close(): void;
    }
  }

  /** With a callback, returns the client at once (so listeners attach before anything can fail). */
  function localtunnel(options: localtunnel.Options, callback: (error: Error | null, client?: localtunnel.Tunnel) => void): localtunnel.Tunnel;

  export = localtunnel;
}
