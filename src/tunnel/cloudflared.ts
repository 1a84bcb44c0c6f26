import { formatDuration } from '../duration.js';
import { interruptedBy, SendtalkVerifyError } from '../errors.js';
import type { PublicUrl } from './types.js';
import { CloudflaredProcess, findCloudflared } from './cloudflared-process.js';
import { reopenDelayMs } from './open-tunnel.js';
import type { TunnelEvent } from './types.js';

export interface CloudflaredOptions {
  /** The listener's port: cloudflared forwards to `http://localHost:port`. */
  port: number;
  /** @default '127.0.0.1' */
  localHost?: string;
  /** The binary to run (CLOUDFLARED_BIN); else `cloudflared` on `searchPath`. */
  bin?: string;
  /** @default process.env.PATH */
  searchPath?: string;
  /** Give up when no connection has registered within this long, over both protocols. @default 20_000 */
  registrationTimeoutMs?: number;
  /** How long QUIC gets to register before cloudflared is restarted with `--protocol http2`. @default half the registration time-out */
  quicTimeoutMs?: number;
  /** After SIGTERM, how long cloudflared gets to finish before SIGKILL. @default 3000 */
  stopTimeoutMs?: number;
  /** Aborting it while the tunnel opens rejects with an `interrupted` error; once open, call `close()`. */
  signal?: AbortSignal;
  /** The fallback to HTTP/2, and restarts after cloudflared ended on its own. */
  onEvent?: (event: TunnelEvent) => void;
}

/** An open quick tunnel. Its URL is new on every run (and on every restart): the dashboard must follow. */
export interface CloudflaredTunnel extends PublicUrl {
  /** What carries the URL, for people: `cloudflared 2024.6.1 (/usr/bin/cloudflared) over http2`. */
  readonly via: string;
  /** The process running now (tests check it is gone after the run). */
  readonly pid?: number;
}

/** Why the QUIC attempt was given up: cloudflared is restarted over HTTP/2. */
class QuicFailed extends Error {}

interface Registered {
  process: CloudflaredProcess;
  url: string;
  protocol: string;
  version?: string;
}

/**
 * Opens a Cloudflare quick tunnel to a local port with a `cloudflared` already installed. The URL
 * counts as open only once a connection has *registered*: cloudflared prints it earlier, and a
 * request (or a DNS look-up) before that gets NXDOMAIN, which resolvers then cache for about half
 * an hour. QUIC (UDP 7844) is blocked on some networks, so when it reports failure or does not
 * register in time, cloudflared is restarted with `--protocol http2`.
 */
export async function openCloudflared(options: CloudflaredOptions): Promise<CloudflaredTunnel> {
  const bin = await findCloudflared(options.bin, options.searchPath);
  const tunnel = new QuickTunnel(bin, options);
  await tunnel.open();
  return tunnel.handle();
}

class QuickTunnel {
  private current?: Registered;
  /** The last registered URL: still the tunnel's URL while it restarts (as localtunnel keeps its own). */
  private lastUrl = '';
  private http2 = false;
  private closed = false;
  /** Aborted by close(): stops a restart that is still registering. */
  private readonly closing = new AbortController();
  private readonly emit: (event: TunnelEvent) => void;
  private readonly timeoutMs: number;
  private readonly stopMs: number;

  constructor(
    private readonly bin: string,
    private readonly options: CloudflaredOptions,
  ) {
    this.emit = options.onEvent ?? (() => {});
    this.timeoutMs = options.registrationTimeoutMs ?? 20_000;
    this.stopMs = options.stopTimeoutMs ?? 3000;
  }

  handle(): CloudflaredTunnel {
    const self = this;
    return {
      get url() {
        return self.current?.url ?? self.lastUrl;
      },
      get via() {
        return self.via();
      },
      get pid() {
        return self.current?.process.pid;
      },
      reopen: (reason) => this.reopen(reason),
      close: () => this.close(),
    };
  }

  private via(): string {
    const version = this.current?.version ? ` ${this.current.version}` : '';
    return `cloudflared${version} (${this.bin}) over ${this.current?.protocol ?? (this.http2 ? 'http2' : 'quic')}`;
  }

  /** The first opening: QUIC (cloudflared's default), then HTTP/2, within one time-out in all. */
  async open(): Promise<void> {
    const started = Date.now();
    const quicMs = Math.min(this.options.quicTimeoutMs ?? this.timeoutMs / 2, this.timeoutMs);
    try {
      this.adopt(await this.register(quicMs, this.timeoutMs, this.options.signal));
    } catch (error) {
      if (!(error instanceof QuicFailed)) throw error;
      this.http2 = true;
      this.emit({ type: 'fallback', what: 'protocol', from: 'quic', to: 'http2', reason: error.message });
      this.adopt(await this.register(undefined, Math.max(1000, this.timeoutMs - (Date.now() - started)), this.options.signal));
    }
  }

  private adopt(registered: Registered): void {
    this.current = registered;
    this.lastUrl = registered.url;
  }

  /** Starts cloudflared and resolves once it registered; stops it again on any failure. */
  private register(quicMs: number | undefined, totalMs: number, signal: AbortSignal | undefined): Promise<Registered> {
    const local = `http://${formatHost(this.options.localHost ?? '127.0.0.1')}:${this.options.port}`;
    const args = ['tunnel', '--no-autoupdate', ...(this.http2 ? ['--protocol', 'http2'] : []), '--url', local];
    return new Promise<Registered>((resolve, reject) => {
      let url: string | undefined;
      let version: string | undefined;
      let protocol: string | undefined;
      let registered = false;
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        for (const timer of timers) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (!error) return resolve({ process: proc, url: url!, protocol: protocol ?? (this.http2 ? 'http2' : 'quic'), version });
        void proc.stop(this.stopMs).then(() => reject(error));
      };
      const proc: CloudflaredProcess = new CloudflaredProcess(
        this.bin,
        args,
        (line, raw) => {
          if (settled) return this.afterRegistration(proc, raw);
          if (line.type === 'url') url ??= line.url;
          else if (line.type === 'version') version = line.version;
          else if (line.type === 'quic-failed' && !this.http2) return finish(new QuicFailed(line.reason));
          else if (line.type === 'registered') {
            registered = true;
            protocol = line.protocol;
          }
          // Registered and named: only now may the URL be shown or probed.
          if (registered && url) finish();
        },
        (how) => (settled ? this.ended(proc, how) : finish(this.failure(`cloudflared ended (${how}) before the tunnel registered`, proc))),
      );
      const onAbort = (): void => finish(interruptedBy(signal!));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (quicMs !== undefined && quicMs < totalMs) {
        timers.push(setTimeout(() => finish(new QuicFailed(`no connection registered over QUIC within ${formatDuration(quicMs)}`)), quicMs));
      }
      timers.push(
        setTimeout(
          () => finish(this.failure(`cloudflared did not register a quick tunnel within ${formatDuration(totalMs)}${this.http2 ? ' over http2' : ''}`, proc)),
          totalMs,
        ),
      );
    });
  }

  /** An exit-6 error with cloudflared's last lines attached: they usually say why (DNS, a firewall, a bad flag). */
  private failure(what: string, process: CloudflaredProcess): SendtalkVerifyError {
    const tail = process.tail.text();
    return new SendtalkVerifyError('tunnel', `${what}.${tail ? ` Its last lines:\n${tail}` : ''}`, {
      hint: 'Check your connection (cloudflared needs outbound port 7844), allow more time with SENDTALK_TUNNEL_TIMEOUT, or use --tunnel localtunnel or your own tunnel with --tunnel URL.',
      details: { cloudflared: this.bin },
    });
  }

  /** Once registered, cloudflared's warnings and errors are only of interest to --debug. */
  private afterRegistration(process: CloudflaredProcess, raw: string): void {
    if (process === this.current?.process && /\b(?:WRN|ERR)\b/.test(raw)) this.emit({ type: 'error', message: `cloudflared: ${raw}` });
  }

  /** cloudflared ended on its own after registering: start another (its URL will be new), with backoff. */
  private ended(process: CloudflaredProcess, how: string): void {
    if (this.closed || process !== this.current?.process) return;
    const previousUrl = this.current.url;
    this.current = undefined;
    void this.restart(previousUrl, `cloudflared ended (${how})`);
  }

  /**
   * The watchdog found the quick tunnel up but not carrying requests: stop this cloudflared and
   * start another. A quick tunnel cannot keep its URL, so the new one is announced as changed.
   * Does nothing while it already restarts, or once closed.
   */
  private reopen(reason: string): void {
    const current = this.current;
    if (this.closed || !current) return;
    this.current = undefined;
    void current.process.stop(this.stopMs).then(() => this.restart(current.url, reason));
  }

  private async restart(previousUrl: string, reason: string): Promise<void> {
    for (let failures = 1; !this.closed; failures++) {
      const delay = reopenDelayMs(failures, { initialMs: 1000, maxMs: 30_000 });
      this.emit({ type: 'down', reason, url: previousUrl, retryInMs: delay });
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.closed) return;
      try {
        const registered = await this.register(undefined, this.timeoutMs, this.closing.signal);
        if (this.closed) return void registered.process.stop(this.stopMs);
        this.adopt(registered);
        this.emit({ type: 'reopened', url: registered.url, previousUrl, changed: registered.url !== previousUrl });
        return;
      } catch (error) {
        reason = `restarting cloudflared failed: ${(error as Error).message.split('\n')[0]!}`;
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    await this.current?.process.stop(this.stopMs);
  }
}

/** An IPv6 address goes in brackets in a URL. */
function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
