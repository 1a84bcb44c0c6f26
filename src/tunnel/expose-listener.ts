import type { ListenerHandle, Delivery } from '../webhook/listener.js';
import { probePublicUrl, type ProbeResult } from './probe.js';
import { checkAndRemember, rememberUrl, type RememberedUrlCheck, type UrlMemory } from './remembered-url.js';
import { joinPublicUrl, tunnelTargetHost } from './tunnel-config.js';
import type { TunnelConnector, TunnelEvent, TunnelHandle, TunnelOptions } from './types.js';

/**
 * Opens a public URL for the local listener (a tunnel other than localtunnel); returns its base
 * URL and a way to close it. `local.host` is the address to connect to (loopback when the listener
 * binds every interface); `local.path` is the listener's path, for providers that report full
 * webhook URLs.
 */
export type PublicUrlProvider = (local: { host: string; port: number; path: string }, signal: AbortSignal) => Promise<PublicUrl>;

/** An open public URL. `url` is read whenever it is needed: a tunnel that re-opens may change it. */
export interface PublicUrl {
  readonly url: string;
  /** Resolves once answers already written have been passed on through it (a tunnel); see TunnelHandle.flush. */
  flush?(boundMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** How SendTalk reaches the listener: not at all, through the user's own tunnel, or one opened here. */
export type TunnelChoice =
  | { kind: 'none' }
  /** The user's own tunnel (ngrok, cloudflared) already forwards this base URL to the listener. */
  | { kind: 'public-url'; publicUrl: string }
  /** A localtunnel tunnel opened (and kept open) here; `timeoutMs` bounds its first registration. */
  | { kind: 'localtunnel'; host?: string; subdomain?: string; timeoutMs?: number; connect?: TunnelConnector }
  /** Any other tunnel, opened by the given function. */
  | { kind: 'provider'; open: PublicUrlProvider };

/**
 * A tunnel event as the flows pass it on: `webhookUrl` is the current public webhook URL,
 * `previousWebhookUrl` comes with `reopened`.
 */
export interface TunnelUpdate { type: 'tunnel'; event: TunnelEvent; webhookUrl?: string; previousWebhookUrl?: string }

export interface ExposeHooks {
  /** The token the listener was started with (`ListenerOptions.probeToken`); `probe()` needs it. */
  probeToken?: string;
  /** Aborting it while a tunnel opens rejects with an `interrupted` error. */
  signal?: AbortSignal;
  /** A localtunnel tunnel's later life (drops, re-opens under another URL, retries), in order; a provider reports its own. */
  onEvent?: (update: TunnelUpdate) => void;
  /** Replaces `openTunnel` (tests). @default openTunnel from src/tunnel, loaded on first use */
  openTunnel?: (options: TunnelOptions) => Promise<TunnelHandle>;
  /**
   * Compare the public webhook URL with the one remembered there, and remember it (and any URL a
   * re-opened tunnel gets). Without it nothing is read or written.
   */
  memory?: UrlMemory;
}

/** The listener as SendTalk reaches it. */
export interface ExposedListener {
  /** The webhook URL to configure now: public when exposed, else the local one. A re-opened tunnel may change it. */
  webhookUrl(): string;
  /** The public base URL now (a tunnel's `https://name.loca.lt`), without the listener's path; undefined when local. */
  publicBaseUrl(): string | undefined;
  /** False when SendTalk cannot reach the listener (`none`). */
  readonly isPublic: boolean;
  /** The tunnel's subdomain, when a localtunnel tunnel was opened. */
  readonly subdomain?: string;
  /** How the public webhook URL compares with the last run's, with `ExposeHooks.memory`. */
  readonly remembered?: RememberedUrlCheck;
  /** Sends one request through the public URL and says whether this listener answered it. */
  probe(signal?: AbortSignal): Promise<ProbeResult>;
  /**
   * Waits (at most `boundMs`) until the answer to `delivery` has left the listener and then the
   * tunnel, so closing right after does not cut it; at once when no tunnel was opened here.
   */
  answerPassedOn(delivery: Delivery, boundMs: number): Promise<void>;
  /** Closes a tunnel opened here (nothing else). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Whether a listener exposed this way must track its answers: only a tunnel opened here needs to
 * know when the last 200 has left (see `answerPassedOn`); the bookkeeping costs every delivery.
 */
export function tracksAnswers(choice: TunnelChoice): boolean {
  return choice.kind === 'localtunnel' || choice.kind === 'provider';
}

/**
 * The one way a listener is made reachable, used by `create`, `listen` and `doctor` alike: opens
 * what `choice` asks for in front of `listener` and reports the tunnel's later events.
 */
export async function exposeListener(listener: ListenerHandle, choice: TunnelChoice, hooks: ExposeHooks = {}): Promise<ExposedListener> {
  const opened = await openChoice(listener, choice, hooks);
  const tunnel = opened?.tunnel;
  const base = choice.kind === 'public-url' ? (): string => choice.publicUrl : tunnel ? (): string => tunnel.url : undefined;
  const webhookUrl = (): string => (base ? joinPublicUrl(base(), listener.path) : listener.url);
  const remembered = base && hooks.memory ? await checkAndRemember(hooks.memory, webhookUrl()) : undefined;
  return {
    webhookUrl,
    publicBaseUrl: () => base?.(),
    isPublic: base !== undefined,
    ...(opened?.subdomain !== undefined ? { subdomain: opened.subdomain } : {}),
    ...(remembered ? { remembered } : {}),
    probe: (signal) => {
      if (hooks.probeToken === undefined) throw new Error('exposeListener: probe() needs the probeToken the listener was started with.');
      return probePublicUrl(webhookUrl(), hooks.probeToken, { signal });
    },
    answerPassedOn: async (delivery, boundMs) => {
      if (!tunnel) return;
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([listener.answered(delivery), new Promise<void>((resolve) => { timer = setTimeout(resolve, boundMs); })]);
      clearTimeout(timer);
      await tunnel.flush?.(Math.max(0, boundMs - (Date.now() - started)));
    },
    close: async () => tunnel?.close(),
  };
}

/** Opens the tunnel `choice` asks for, if any; its events are reported with the webhook URLs they mean. */
async function openChoice(listener: ListenerHandle, choice: TunnelChoice, hooks: ExposeHooks): Promise<{ tunnel: PublicUrl; subdomain?: string } | undefined> {
  if (choice.kind === 'none' || choice.kind === 'public-url') return undefined;
  // Loopback when the listener binds every interface: the tunnel client connects to it from here.
  const bound = listener.server.address();
  const localHost = tunnelTargetHost(typeof bound === 'object' && bound ? bound.address : listener.host);
  const signal = hooks.signal ?? new AbortController().signal;
  if (choice.kind === 'provider') return { tunnel: await choice.open({ host: localHost, port: listener.port, path: listener.path }, signal) };
  const open = hooks.openTunnel ?? (await import('./open-tunnel.js')).openTunnel;
  const webhookUrlOf = (url: string): string => joinPublicUrl(url, listener.path);
  let handle: TunnelHandle | undefined;
  handle = await open({
    port: listener.port,
    localHost,
    host: choice.host,
    subdomain: choice.subdomain,
    registrationTimeoutMs: choice.timeoutMs,
    connect: choice.connect,
    signal: hooks.signal,
    onEvent: (event) => {
      // The next run compares with the URL the user was last told about.
      if (hooks.memory && event.type === 'reopened' && event.changed) void rememberUrl(hooks.memory, webhookUrlOf(event.url));
      // While it opens there is no handle yet: the event's own URL is the current one.
      const current = handle?.url ?? ('url' in event ? event.url : undefined);
      hooks.onEvent?.({
        type: 'tunnel',
        event,
        webhookUrl: current ? webhookUrlOf(current) : undefined,
        previousWebhookUrl: event.type === 'reopened' ? webhookUrlOf(event.previousUrl) : undefined,
      });
    },
  });
  return { tunnel: handle, subdomain: handle.subdomain };
}
