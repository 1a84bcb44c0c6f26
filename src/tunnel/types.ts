/** The public localtunnel server, localtunnel's own default (URLs on loca.lt). */
export const DEFAULT_TUNNEL_HOST = 'https://localtunnel.me';

export interface TunnelOptions {
  /** Local port the tunnel forwards to (the webhook listener's). */
  port: number;
  /**
   * Local address the tunnel connects to. An IP, not `localhost`: `localhost` can resolve to ::1
   * while the listener is bound to 127.0.0.1, and localtunnel then retries forever.
   * @default '127.0.0.1'
   */
  localHost?: string;
  /** localtunnel server to register with (a self-hosted one, or the public one). @default 'https://localtunnel.me' */
  host?: string;
  /** Ask for this subdomain so the public URL stays the same between runs. */
  subdomain?: string;
  /** Give up opening the tunnel after this long (localtunnel itself would retry forever). @default 20_000 */
  registrationTimeoutMs?: number;
  /**
   * How long the tunnel may have no connection to the server before it counts as dropped and is
   * registered again. localtunnel replaces a closed connection at once, so a short gap is normal.
   * @default 2_000
   */
  dropGraceMs?: number;
  /** Delay before re-registering after repeated drops: doubles from `initialMs` up to `maxMs`. @default { initialMs: 1_000, maxMs: 30_000 } */
  reopenBackoff?: { initialMs: number; maxMs: number };
  /** A tunnel that stayed up this long resets the backoff. @default 60_000 */
  stableAfterMs?: number;
  /**
   * When re-registering gives another name than the one asked for, give it back and ask again this
   * many times, `delayMs` apart, before accepting it: the server frees a name about a second after
   * its client's last connection closed, and a new name means a trip to the dashboard.
   * @default { tries: 5, delayMs: 1_000 }
   */
  sameNameRetry?: { tries: number; delayMs: number };
  /** While re-registering, report `still-down` this often. @default 30_000 */
  stillDownEveryMs?: number;
  /** Aborting it while the tunnel opens rejects with an `interrupted` error; once open, call `close()`. */
  signal?: AbortSignal;
  /** Everything that happens to the tunnel after the call, in order. */
  onEvent?: (event: TunnelEvent) => void;
  /**
   * Replaces the localtunnel client. @default the localtunnel package, loaded on first use
   * @internal Tests only.
   */
  connect?: TunnelConnector;
}

/**
 * The tunnel as the watchdog sees it: `up` (the last probe got through, or it re-opened),
 * `checking` (a probe is on its way), `re-opening` (it dropped or failed a probe, and is being
 * registered again), `down` (a probe failed and nothing here can re-open it: the user's own tunnel).
 */
export type TunnelState = 'up' | 'checking' | 're-opening' | 'down';

export type TunnelEvent =
  /** The watchdog's view changed (see TunnelState); `reason` says why it is not up. */
  | { type: 'state'; state: TunnelState; previous: TunnelState; reason?: string }
  /** The server gave another subdomain than the one asked for (taken, or refused silently). */
  | { type: 'subdomain-replaced'; requested: string; assigned: string; url: string }
  /** The tunnel lost its server; `retryInMs` until it registers again. */
  | { type: 'down'; reason: string; url: string; retryInMs: number }
  /** Still trying to register again after a drop. */
  | { type: 'still-down'; downForMs: number }
  /** Registered again after a drop. `changed` is false when the server gave back the same URL. */
  | { type: 'reopened'; url: string; previousUrl: string; changed: boolean }
  /**
   * Something did not work and the next way is tried: `provider` (`--tunnel auto`: localtunnel
   * could not open, cloudflared is tried) or `protocol` (cloudflared over QUIC, restarted over http2).
   */
  | { type: 'fallback'; what: 'provider' | 'protocol'; from: string; to: string; reason: string }
  /** A socket error localtunnel reported; the tunnel handles it, this is for `--debug`. */
  | { type: 'error'; message: string }
  /** A request went through the tunnel (method and path only); for `--debug`. */
  | { type: 'request'; method: string; path: string };

export interface TunnelHandle {
  /** The current public base URL, e.g. `https://quiet-fox-12.loca.lt`. Changes when the tunnel re-opens with another name. */
  readonly url: string;
  /** The current subdomain (localtunnel's client id). */
  readonly subdomain: string;
  /**
   * Resolves once what the local listener has answered so far has been passed on to the tunnel
   * server (each connection's queue written out), or after `boundMs`. Closing right after it
   * does not cut an answer on its way back.
   * @internal The flows call it before closing.
   */
  flush(boundMs?: number): Promise<void>;
  /**
   * Closes the current registration and registers again, asking for the same name: the remedy
   * for a tunnel that looks up but no longer carries requests (stale connections). Does nothing
   * while it is already re-opening, or once closed.
   * @internal The watchdog calls it.
   */
  reopen(reason: string): void;
  /** Closes the tunnel and stops re-opening it. Safe to call twice. */
  close(): Promise<void>;
}

/** What a registration needs: the server, the name to ask for, and where to forward. */
export interface SessionRequest {
  host: string;
  subdomain?: string;
  localHost: string;
  localPort: number;
}

/** What the supervisor hears from one registration while it lives. */
export interface SessionListener {
  /** The number of connections open to the server changed. */
  connections(live: number): void;
  error(error: Error): void;
  request(method: string, path: string): void;
}

/** One registration with a tunnel server. */
export interface TunnelSession {
  readonly url: string;
  /** The subdomain the server assigned. */
  readonly clientId: string;
  /** See `TunnelHandle.flush`; a session that cannot tell resolves at once. */
  flush?(boundMs: number): Promise<void>;
  /** Ends the registration's connections. Safe to call twice. */
  close(): void;
}

/**
 * Starts one registration. `session` settles when the server answered (localtunnel retries
 * unanswered registrations by itself); `abandon()` gives up on it, closing the session if it
 * registers later anyway.
 */
export type TunnelConnector = (request: SessionRequest, listener: SessionListener) => { session: Promise<TunnelSession>; abandon(): void };

/**
 * Opens a public URL for the local listener (a tunnel other than localtunnel); returns its base
 * URL and a way to close it. `local.host` is the address to connect to (loopback when the listener
 * binds every interface); `local.path` is the listener's path, for providers that report full
 * webhook URLs. `onEvent` takes what happens to it later (a fallback, a restart under a new URL).
 */
export type PublicUrlProvider = (
  local: { host: string; port: number; path: string },
  signal: AbortSignal,
  onEvent?: (event: TunnelEvent) => void,
) => Promise<PublicUrl>;

/** An open public URL. `url` is read whenever it is needed: a tunnel that re-opens may change it. */
export interface PublicUrl {
  readonly url: string;
  /** What carries it, for people (`cloudflared 2024.6.1 (/usr/bin/cloudflared) over http2`). */
  readonly via?: string;
  /** Resolves once answers already written have been passed on through it (a tunnel); see TunnelHandle.flush. */
  flush?(boundMs?: number): Promise<void>;
  /** Registers it again at the same URL if it can (see TunnelHandle.reopen); the watchdog calls it when a probe fails. */
  reopen?(reason: string): void;
  close(): Promise<void>;
}
