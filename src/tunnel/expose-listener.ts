import { SendtalkVerifyError } from '../errors.js';
import type { ListenerHandle, Delivery } from '../webhook/listener.js';
import { probePublicUrl, type ProbeResult } from './probe.js';
import { checkAndRemember, rememberUrl, type RememberedUrlCheck, type UrlMemory } from './remembered-url.js';
import { joinPublicUrl, tunnelTargetHost } from './tunnel-config.js';
import type { PublicUrl, PublicUrlProvider, TunnelConnector, TunnelEvent, TunnelHandle, TunnelOptions } from './types.js';
import { startWatchdog, type Watchdog, type WatchdogOptions } from './watchdog.js';

/**
 * How SendTalk reaches the listener: the `tunnel` option of both flows. A name opens that tunnel
 * with its defaults (`auto`: localtunnel, then cloudflared when it cannot open); an object says more.
 * @default 'none'
 */
export type Tunnel =
  /** Not at all: the listener stays local. */
  | 'none'
  | 'localtunnel'
  /** A Cloudflare quick tunnel; needs `cloudflared` installed. */
  | 'cloudflared'
  | 'auto'
  | { kind: 'none' }
  /** The user's own tunnel (ngrok, cloudflared) already forwards this base URL to the listener. */
  | { kind: 'public-url'; publicUrl: string }
  /** A localtunnel tunnel opened (and kept open) here; `timeoutMs` bounds its first registration. */
  | LocaltunnelChoice
  /** A Cloudflare quick tunnel opened here; `bin` is the binary when it is not `cloudflared` on PATH. */
  | CloudflaredChoice
  /** Any other tunnel, opened by the given function; `name` says which in messages. @default name 'provider' */
  | ProviderChoice
  /** The first of these that opens; each failure is reported as a `fallback`. @default tries localtunnel, then cloudflared */
  | { kind: 'auto'; tries?: TunnelTry[] };

/** A `Tunnel` as the code that opens it takes it: always an object, `auto` with its tries. */
export type TunnelChoice = Exclude<Tunnel, string | { kind: 'auto' }> | { kind: 'auto'; tries: TunnelTry[] };

type TunnelTry = LocaltunnelChoice | CloudflaredChoice | ProviderChoice;
type LocaltunnelChoice = {
  kind: 'localtunnel';
  host?: string;
  subdomain?: string;
  timeoutMs?: number;
  /** @internal Replaces the registration with the tunnel server (tests). */
  connect?: TunnelConnector;
};
type CloudflaredChoice = { kind: 'cloudflared'; bin?: string; timeoutMs?: number };
type ProviderChoice = { kind: 'provider'; open: PublicUrlProvider; name?: string };

/** The one reading of a `Tunnel`, for both flows and `doctor`. */
export function tunnelChoiceOf(tunnel: Tunnel | undefined): TunnelChoice {
  if (tunnel === undefined || tunnel === 'none') return { kind: 'none' };
  if (tunnel === 'localtunnel' || tunnel === 'cloudflared') return { kind: tunnel };
  if (tunnel === 'auto') return tunnelChoiceOf({ kind: 'auto' });
  if (tunnel.kind === 'auto') return { kind: 'auto', tries: tunnel.tries ?? [{ kind: 'localtunnel' }, { kind: 'cloudflared' }] };
  return tunnel;
}

/**
 * A tunnel event as the flows pass it on: `webhookUrl` is the current public webhook URL,
 * `previousWebhookUrl` comes with `reopened`.
 */
export interface TunnelUpdate {
  type: 'tunnel';
  event: TunnelEvent;
  webhookUrl?: string;
  previousWebhookUrl?: string;
}

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
   * re-opened tunnel gets, the watchdog's re-openings included). Without it nothing is read or written.
   */
  memory?: UrlMemory;
  /**
   * Probe a public URL end to end while it is open (needs `probeToken`): a failed probe re-opens a
   * tunnel opened here (at the same URL when the provider can keep it; a changed URL is remembered
   * and reported like any re-opening), and is reported (`state` events) for the user's own.
   * `false` turns it off. @default { intervalMs: WATCHDOG_INTERVAL_MS }
   */
  watchdog?: WatchdogOptions | false;
}

/** The listener as SendTalk reaches it. */
export interface ExposedListener {
  /** The webhook URL to configure now: public when exposed, else the local one. A re-opened tunnel may change it. */
  webhookUrl(): string;
  /** The public base URL now (a tunnel's `https://name.loca.lt`), without the listener's path; undefined when local. */
  publicBaseUrl(): string | undefined;
  /** False when SendTalk cannot reach the listener (`none`). */
  readonly isPublic: boolean;
  /**
   * What exposes it: `none`, `public-url`, `localtunnel`, or a provider's name (`cloudflared`);
   * with `auto`, the one that opened.
   */
  readonly provider: string;
  /** What carries the public URL, when the provider says (`cloudflared 2024.6.1 (…) over http2`). */
  readonly via?: string;
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
  return choice.kind !== 'none' && choice.kind !== 'public-url';
}

/**
 * The one way a listener is made reachable, used by `create`, `listen` and `doctor` alike: opens
 * what `choice` asks for in front of `listener` and reports the tunnel's later events.
 */
export async function exposeListener(listener: ListenerHandle, choice: TunnelChoice, hooks: ExposeHooks = {}): Promise<ExposedListener> {
  let watchdog: Watchdog | undefined;
  const opened = await openChoice(listener, choice, hooks, (event) => watchdog?.observe(event));
  const tunnel = opened?.tunnel;
  const base = choice.kind === 'public-url' ? (): string => choice.publicUrl : tunnel ? (): string => tunnel.url : undefined;
  const webhookUrl = (): string => (base ? joinPublicUrl(base(), listener.path) : listener.url);
  const remembered = base && hooks.memory ? await checkAndRemember(hooks.memory, webhookUrl()) : undefined;
  const probeToken = hooks.probeToken;
  if (base && probeToken !== undefined && hooks.watchdog !== false) {
    watchdog = startWatchdog(
      (timeoutMs, signal) => probePublicUrl(webhookUrl(), probeToken, { timeoutMs, signal }),
      // A tunnel between two registrations may have no URL to show (cloudflared keeps its last one).
      (event) => hooks.onEvent?.({ type: 'tunnel', event, webhookUrl: base() ? webhookUrl() : undefined }),
      { ...hooks.watchdog, ...(tunnel?.reopen ? { reopen: (reason: string) => tunnel.reopen!(reason) } : {}) },
    );
  }
  return {
    webhookUrl,
    publicBaseUrl: () => base?.(),
    isPublic: base !== undefined,
    provider: opened?.provider ?? choice.kind,
    ...(tunnel?.via !== undefined ? { via: tunnel.via } : {}),
    ...(opened?.subdomain !== undefined ? { subdomain: opened.subdomain } : {}),
    ...(remembered ? { remembered } : {}),
    probe: (signal) => {
      if (probeToken === undefined) throw new Error('exposeListener: probe() needs the probeToken the listener was started with.');
      return probePublicUrl(webhookUrl(), probeToken, { signal });
    },
    answerPassedOn: async (delivery, boundMs) => {
      if (!tunnel) return;
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        listener.answered(delivery),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, boundMs);
        }),
      ]);
      clearTimeout(timer);
      await tunnel.flush?.(Math.max(0, boundMs - (Date.now() - started)));
    },
    close: async () => {
      // The watchdog first: a probe, or a re-opening, must not start on a tunnel being closed.
      watchdog?.stop();
      await tunnel?.close();
    },
  };
}

/** What was opened here: the tunnel, and which provider it is. */
interface Opened {
  tunnel: PublicUrl;
  provider: string;
  subdomain?: string;
}

/** Opens the tunnel `choice` asks for, if any; its events are reported with the webhook URLs they mean. */
async function openChoice(
  listener: ListenerHandle,
  choice: TunnelChoice,
  hooks: ExposeHooks,
  observe: (event: TunnelEvent) => void,
): Promise<Opened | undefined> {
  if (choice.kind === 'none' || choice.kind === 'public-url') return undefined;
  if (choice.kind === 'auto') return openFirst(listener, choice.tries, hooks, observe);
  // Loopback when the listener binds every interface: the tunnel client connects to it from here.
  const bound = listener.server.address();
  const localHost = tunnelTargetHost(typeof bound === 'object' && bound ? bound.address : listener.host);
  const signal = hooks.signal ?? new AbortController().signal;
  let current: PublicUrl | TunnelHandle | undefined;
  const report = (event: TunnelEvent): void => {
    // The next run compares with the URL the user was last told about (a localtunnel tunnel that
    // re-opened under another name, a cloudflared that was restarted).
    if (hooks.memory && event.type === 'reopened' && event.changed) void rememberUrl(hooks.memory, joinPublicUrl(event.url, listener.path));
    // While it opens there is no handle yet: the event's own URL is the current one.
    const url = current?.url ?? ('url' in event ? event.url : undefined);
    hooks.onEvent?.({
      type: 'tunnel',
      event,
      webhookUrl: url ? joinPublicUrl(url, listener.path) : undefined,
      previousWebhookUrl: event.type === 'reopened' ? joinPublicUrl(event.previousUrl, listener.path) : undefined,
    });
    // The watchdog follows what the tunnel says of itself (a drop, a re-opening).
    observe(event);
  };
  if (choice.kind === 'provider') {
    current = await choice.open({ host: localHost, port: listener.port, path: listener.path }, signal, report);
    return { tunnel: current, provider: providerName(choice) };
  }
  if (choice.kind === 'cloudflared') {
    // Loaded only when a quick tunnel is opened: runs that never use it do not pay for it.
    const { openCloudflared } = await import('./cloudflared.js');
    current = await openCloudflared({ port: listener.port, localHost, bin: choice.bin, registrationTimeoutMs: choice.timeoutMs, signal, onEvent: report });
    return { tunnel: current, provider: 'cloudflared' };
  }
  const open = hooks.openTunnel ?? (await import('./open-tunnel.js')).openTunnel;
  const handle = await open({
    port: listener.port,
    localHost,
    host: choice.host,
    subdomain: choice.subdomain,
    registrationTimeoutMs: choice.timeoutMs,
    connect: choice.connect,
    signal: hooks.signal,
    onEvent: report,
  });
  current = handle;
  return { tunnel: handle, provider: 'localtunnel', subdomain: handle.subdomain };
}

function providerName(choice: TunnelTry): string {
  return choice.kind === 'provider' ? (choice.name ?? 'provider') : choice.kind;
}

/**
 * `--tunnel auto`: each provider in turn until one opens. A tunnel error moves on to the next
 * (reported as a `fallback`); anything else (an interruption) stops at once. When none opens, the
 * error says what each one answered.
 */
async function openFirst(listener: ListenerHandle, tries: TunnelTry[], hooks: ExposeHooks, observe: (event: TunnelEvent) => void): Promise<Opened | undefined> {
  const failures: Array<{ name: string; error: SendtalkVerifyError }> = [];
  for (const [index, choice] of tries.entries()) {
    try {
      return await openChoice(listener, choice, hooks, observe);
    } catch (error) {
      if (!(error instanceof SendtalkVerifyError) || error.category !== 'tunnel') throw error;
      failures.push({ name: providerName(choice), error });
      const next = tries[index + 1];
      if (next) {
        const event: TunnelEvent = {
          type: 'fallback',
          what: 'provider',
          from: providerName(choice),
          to: providerName(next),
          reason: error.message.split('\n')[0]!,
        };
        hooks.onEvent?.({ type: 'tunnel', event });
      }
    }
  }
  if (failures.length === 1) throw failures[0]!.error;
  const hints = [...new Set(failures.map((f) => f.error.hint).filter((hint): hint is string => hint !== undefined))];
  throw new SendtalkVerifyError('tunnel', `Could not open a tunnel with any provider:\n${failures.map((f) => `  ${f.name}: ${f.error.message}`).join('\n')}`, {
    hint: hints.join('\n  '),
    details: { tried: failures.map((f) => ({ provider: f.name, message: f.error.message, code: f.error.code })) },
  });
}
