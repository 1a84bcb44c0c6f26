import { SendtalkVerifyError } from '../errors.js';
import { formatDuration } from '../duration.js';
import { registrationTimeoutError, UNREACHABLE_SERVER_HINT } from './diagnose-registration.js';
import { checkSubdomain, normaliseTunnelHost } from './tunnel-config.js';
import {
  DEFAULT_TUNNEL_HOST,
  type SessionRequest,
  type TunnelConnector,
  type TunnelEvent,
  type TunnelHandle,
  type TunnelOptions,
  type TunnelSession,
} from './types.js';

/** Delay before the n-th consecutive re-registration: none for the first, then doubling up to the cap. */
export function reopenDelayMs(failures: number, backoff: { initialMs: number; maxMs: number }): number {
  if (failures <= 0) return 0;
  return Math.min(backoff.initialMs * 2 ** (failures - 1), backoff.maxMs);
}

/**
 * Opens a public URL for a local port through a localtunnel server, and keeps it open: the tunnel
 * counts as open once the server has registered it *and* one of its connections is up, and when
 * every connection is gone for `dropGraceMs` (server restart, the server dropped the client) it
 * registers again, asking for the same name, with backoff. Rejects with a `tunnel` error when the
 * first opening does not succeed within `registrationTimeoutMs`; a registration given up on stops
 * there, so nothing is left polling the server (localtunnel's own loop would never stop).
 */
export async function openTunnel(options: TunnelOptions): Promise<TunnelHandle> {
  const host = normaliseTunnelHost(options.host ?? DEFAULT_TUNNEL_HOST);
  const subdomain = options.subdomain === undefined ? undefined : checkSubdomain(options.subdomain);
  const connect = options.connect ?? (await import('./localtunnel-session.js')).connectLocaltunnel;
  const supervisor = new TunnelSupervisor(connect, { host, localHost: options.localHost ?? '127.0.0.1', localPort: options.port }, subdomain, options);
  await supervisor.open(options.signal);
  return supervisor.handle();
}

/** One registration followed from the request to its end. */
interface Attempt {
  session?: TunnelSession;
  live: number;
  /** Resolves once registered and connected; rejects when either fails. */
  ready: Promise<TunnelSession>;
  readyAt?: number;
  /** True once `ready` has settled. */
  settled: boolean;
  dropTimer?: NodeJS.Timeout;
  /** Connections opened and requests carried since `churnSince`: see CHURN_LIMIT. */
  opened: number;
  requests: number;
  churnSince: number;
  abandon(): void;
}

/**
 * Connections a registration may open beyond the requests they carried, within one drop grace
 * period, before it counts as dropped. localtunnel replaces a closed connection at once, so a
 * server that accepts connections and closes them straight away would otherwise make a reconnect
 * loop of thousands a second that never looks like a drop (there is always one "live").
 */
const CHURN_LIMIT = 40;

class TunnelSupervisor {
  private current?: Attempt;
  private url = '';
  private clientId = '';
  private failures = 0;
  private closed = false;
  /** Aborted by close(): wakes whatever is waiting (backoff, a pending registration). */
  private readonly closing = new AbortController();
  private readonly emit: (event: TunnelEvent) => void;
  private readonly timeoutMs: number;
  private readonly graceMs: number;
  private readonly backoff: TunnelOptions['reopenBackoff'] & {};
  private readonly sameNameRetry: TunnelOptions['sameNameRetry'] & {};

  constructor(
    private readonly connect: TunnelConnector,
    private readonly request: Omit<SessionRequest, 'subdomain'>,
    private readonly requested: string | undefined,
    private readonly options: TunnelOptions,
  ) {
    this.emit = options.onEvent ?? (() => {});
    this.timeoutMs = options.registrationTimeoutMs ?? 20_000;
    this.graceMs = options.dropGraceMs ?? 2_000;
    this.backoff = options.reopenBackoff ?? { initialMs: 1_000, maxMs: 30_000 };
    this.sameNameRetry = options.sameNameRetry ?? { tries: 5, delayMs: 1_000 };
  }

  handle(): TunnelHandle {
    const self = this;
    return {
      get url() {
        return self.url;
      },
      get subdomain() {
        return self.clientId;
      },
      flush: async (boundMs = 1000) => this.current?.session?.flush?.(boundMs),
      // Closing first, then asking for the same name: the server gives a name back only once its
      // client's last connection has gone (see sameNameRetry).
      reopen: (reason) => {
        if (this.current) this.dropped(this.current, reason, this.sameNameRetry.delayMs);
      },
      close: async () => this.close(),
    };
  }

  /** The first opening: bounded in time, cancellable, and failing with an exit-6 error. */
  async open(signal?: AbortSignal): Promise<void> {
    const attempt = this.start(this.requested);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Timeout()), this.timeoutMs);
      onAbort = () =>
        reject(signal?.reason instanceof SendtalkVerifyError ? signal.reason : new SendtalkVerifyError('interrupted', 'Interrupted while opening the tunnel.'));
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const session = await Promise.race([attempt.ready, stop]);
      this.adopt(attempt, session);
    } catch (error) {
      attempt.abandon();
      if (error instanceof Timeout) throw await registrationTimeoutError(this.request.host, this.requested, this.timeoutMs, attempt.session?.url);
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  private adopt(attempt: Attempt, session: TunnelSession): void {
    this.current = attempt;
    this.url = session.url;
    this.clientId = session.clientId;
    if (this.requested && session.clientId !== this.requested) {
      this.emit({ type: 'subdomain-replaced', requested: this.requested, assigned: session.clientId, url: session.url });
    }
  }

  /** Starts a registration and follows its connections. */
  private start(subdomain: string | undefined): Attempt {
    let resolveReady!: (session: TunnelSession) => void;
    let rejectReady!: (error: unknown) => void;
    const attempt: Attempt = {
      live: 0,
      opened: 0,
      requests: 0,
      churnSince: Date.now(),
      settled: false,
      ready: new Promise<TunnelSession>((resolve, reject) => {
        resolveReady = resolve;
        rejectReady = reject;
      }),
      abandon: () => {},
    };
    attempt.ready.catch(() => {}); // a drop while nobody waits must not become an unhandled rejection
    let connectTimer: NodeJS.Timeout | undefined;
    const settle = (error?: unknown): void => {
      if (attempt.settled) return;
      attempt.settled = true;
      clearTimeout(connectTimer);
      if (error === undefined) {
        attempt.readyAt = Date.now();
        resolveReady(attempt.session!);
      } else {
        rejectReady(error);
      }
    };

    const pending = this.connect(
      { ...this.request, subdomain },
      {
        connections: (live) => {
          const openedOne = live > attempt.live;
          attempt.live = live;
          if (openedOne && this.churning(attempt)) return;
          if (live > 0) {
            clearTimeout(attempt.dropTimer);
            attempt.dropTimer = undefined;
            if (attempt.session) settle();
          } else if (attempt === this.current && !attempt.dropTimer && !this.closed) {
            // localtunnel replaces a closed connection at once; only a lasting zero is a drop.
            attempt.dropTimer = setTimeout(() => this.dropped(attempt, 'lost every connection to the tunnel server'), this.graceMs);
          }
        },
        error: (error) => {
          this.emit({ type: 'error', message: error.message });
          // Before the first connection, a refused connection means this registration is unusable.
          if (attempt.live === 0 && attempt.session) {
            settle(
              new SendtalkVerifyError('tunnel', `Registered ${attempt.session.url}, but could not connect to the tunnel server: ${error.message}.`, {
                hint: UNREACHABLE_SERVER_HINT,
              }),
            );
          }
        },
        request: (method, path) => {
          attempt.requests++;
          this.emit({ type: 'request', method, path });
        },
      },
    );
    attempt.abandon = () => {
      clearTimeout(connectTimer);
      clearTimeout(attempt.dropTimer);
      pending.abandon();
      attempt.session?.close();
      settle(new Error('abandoned'));
    };
    pending.session.then(
      (session) => {
        attempt.session = session;
        if (attempt.live > 0) return settle();
        connectTimer = setTimeout(
          () =>
            settle(
              new SendtalkVerifyError(
                'tunnel',
                `Registered ${session.url}, but no connection to the tunnel server opened within ${formatDuration(this.timeoutMs)}.`,
                { hint: UNREACHABLE_SERVER_HINT },
              ),
            ),
          this.timeoutMs,
        );
      },
      (error: unknown) => settle(error),
    );
    return attempt;
  }

  /**
   * Counts a new connection; true (and the registration dropped) when connections keep closing as
   * soon as they open, carrying nothing.
   */
  private churning(attempt: Attempt): boolean {
    const now = Date.now();
    if (now - attempt.churnSince > this.graceMs) {
      attempt.churnSince = now;
      attempt.opened = 0;
      attempt.requests = 0;
    }
    attempt.opened++;
    if (attempt.opened - attempt.requests <= CHURN_LIMIT || attempt !== this.current) return false;
    this.dropped(attempt, 'the tunnel server closes every connection as soon as it opens');
    return true;
  }

  /** Every connection is gone (or useless): close this registration and register again, `minDelayMs` later at the soonest. */
  private dropped(attempt: Attempt, reason: string, minDelayMs = 0): void {
    if (this.closed || attempt !== this.current) return;
    clearTimeout(attempt.dropTimer);
    const lived = Date.now() - (attempt.readyAt ?? Date.now());
    this.failures = lived >= (this.options.stableAfterMs ?? 60_000) ? 0 : this.failures + 1;
    attempt.session?.close();
    this.current = undefined;
    const delay = Math.max(minDelayMs, reopenDelayMs(this.failures, this.backoff));
    this.emit({ type: 'down', reason, url: this.url, retryInMs: delay });
    void this.reopen(delay);
  }

  /**
   * Registers again until it works or the tunnel is closed. A registration is not bounded in time
   * here: localtunnel retries it every second by itself, and abandoning it would leave that loop
   * running beside the next one.
   */
  private async reopen(delay: number): Promise<void> {
    const downSince = Date.now();
    const stillDown = setInterval(() => this.emit({ type: 'still-down', downForMs: Date.now() - downSince }), this.options.stillDownEveryMs ?? 30_000);
    const previousUrl = this.url;
    // Asking for the name we had keeps the URL in the dashboard valid when the server allows it.
    const wanted = this.requested ?? (this.clientId || undefined);
    let otherNames = 0;
    try {
      for (;;) {
        if (!(await this.sleep(delay))) return;
        const attempt = this.start(wanted);
        const onClose = (): void => attempt.abandon();
        this.closing.signal.addEventListener('abort', onClose, { once: true });
        try {
          const session = await attempt.ready;
          if (this.closed) return;
          if (wanted !== undefined && session.clientId !== wanted && ++otherNames < this.sameNameRetry.tries) {
            attempt.abandon();
            delay = this.sameNameRetry.delayMs;
            this.emit({
              type: 'error',
              message: `the server gave "${session.clientId}" instead of "${wanted}"; giving it back, asking again in ${formatDuration(delay)}`,
            });
            continue;
          }
          this.adopt(attempt, session);
          this.emit({ type: 'reopened', url: session.url, previousUrl, changed: session.url !== previousUrl });
          // Connections may already be gone again: let the usual rule decide.
          if (attempt.live === 0) attempt.dropTimer ??= setTimeout(() => this.dropped(attempt, 'lost every connection to the tunnel server'), this.graceMs);
          return;
        } catch (error) {
          if (this.closed) return;
          attempt.abandon();
          this.failures++;
          delay = reopenDelayMs(this.failures, this.backoff);
          this.emit({ type: 'error', message: `re-registering failed: ${(error as Error).message}; next try in ${formatDuration(delay)}` });
        } finally {
          this.closing.signal.removeEventListener('abort', onClose);
        }
      }
    } finally {
      clearInterval(stillDown);
    }
  }

  /** Waits `ms`, or less if the tunnel closes; true when the wait was not cut short. */
  private sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.closing.signal.removeEventListener('abort', done);
        resolve(!this.closed);
      };
      const timer = setTimeout(done, ms);
      this.closing.signal.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    if (this.current) {
      clearTimeout(this.current.dropTimer);
      this.current.session?.close();
    }
  }
}

class Timeout extends Error {}
