import { interruptedBy, SendtalkVerifyError } from '../errors.js';
import { joinPublicUrl, tunnelTargetHost } from '../tunnel/tunnel-config.js';
import { newProbeToken, probePublicUrl, type ProbeResult } from '../tunnel/probe.js';
import type { TunnelConnector, TunnelEvent, TunnelHandle } from '../tunnel/types.js';
import { openDeliveryLog, type DeliveryLogWriter } from '../webhook/delivery-log-writer.js';
import { DeliveryCounter, type DeliveryTally } from '../webhook/delivery-tally.js';
import { diagnoseWait, type WaitDiagnosis } from './wait-diagnosis.js';
import { forwardDelivery, pointsAtListener, type ForwardResult } from '../webhook/forward-delivery.js';
import { startListener, type Delivery, type ListenerHandle } from '../webhook/listener.js';
import { RefusalThrottle, type RefusalSummary } from './refusal-throttle.js';

export interface ListenFlowOptions {
  /** Listener interface. @default '127.0.0.1' */
  host?: string;
  /** Listener port; 0 picks a free one. @default 0 */
  port?: number;
  /** Listener path. @default '/webhook' */
  path?: string;
  /** Webhook secret from Verification Config. Without it deliveries are accepted unchecked. */
  secret?: string;
  /** The one header that carries the secret. @default X-Secret-Key or Secret-Key */
  secretHeader?: string;
  /** Open a localtunnel tunnel with these settings; `false` (or `publicUrl`) opens none. @default false */
  tunnel?: false | { host?: string; subdomain?: string; registrationTimeoutMs?: number; connect?: TunnelConnector };
  /** The public base URL of the user's own tunnel (ngrok, cloudflared); no tunnel is opened. */
  publicUrl?: string;
  /** Check the public URL reaches the listener once it is up. @default true */
  probe?: boolean;
  /** Stop after this many accepted deliveries. */
  maxEvents?: number;
  /** Stop after this long. */
  timeoutMs?: number;
  /** Pass each accepted delivery to this local URL before acknowledging it. */
  forwardTo?: string;
  /** Append every delivery to this NDJSON file; accepted ones are written before they are acknowledged. */
  logPath?: string;
  /** With `logPath`: fdatasync each record (group commit) before acknowledging it. @default false */
  logFsync?: boolean;
  /**
   * After the last delivery, the tunnel closes only once its 200 has been passed on through it
   * (closing at once would cut it, and SendTalk would retry), waiting at most this long. @default 1000
   */
  drainMs?: number;
  /**
   * Refused requests reported one by one per reason and window; the rest are summarised (event
   * `refusals-summary`, and a `refusals-summary` line in the log). @default { perWindow: 20, windowMs: 10_000 }
   */
  refusalReports?: { perWindow: number; windowMs: number };
  /** Aborting stops listening: the result's reason is `interrupted` (or the opening rejects). */
  signal?: AbortSignal;
  onEvent?: (event: ListenFlowEvent) => void;
}

export type ListenFlowEvent =
  | { type: 'ready'; localUrl: string; webhookUrl: string; public: boolean; subdomain?: string }
  | { type: 'probe'; webhookUrl: string; result: ProbeResult }
  /** Everything is up (and probed): deliveries are awaited from now on. */
  | { type: 'waiting' }
  /** `webhookUrl` is the current public webhook URL; `previousWebhookUrl` comes with `reopened`. */
  | { type: 'tunnel'; event: TunnelEvent; webhookUrl?: string; previousWebhookUrl?: string }
  | { type: 'delivery'; delivery: Delivery; forward?: ForwardResult }
  | { type: 'log-error'; delivery: Delivery; message: string }
  /** The existing `--log` file can be read or written by others (`mode`, e.g. 0o644). */
  | { type: 'log-loose-mode'; path: string; mode: number }
  /** Refusals counted but not reported one by one since the last summary (a flood). */
  | { type: 'refusals-summary'; summaries: RefusalSummary[]; windowMs: number };

export type ListenEnd = 'max-events' | 'timeout' | 'interrupted';

export interface ListenResult {
  reason: ListenEnd;
  accepted: number;
  refused: number;
  /** Every delivery counted, refusals by reason: says why a wait ended without an accepted one. */
  deliveries: DeliveryTally;
  /**
   * The likeliest cause when listening ended short (at the timeout with fewer accepted deliveries
   * than waited for), or with refusals only, and what to do.
   */
  diagnosis?: WaitDiagnosis;
  /** The webhook URL when listening ended (a re-opened tunnel may have changed it). */
  webhookUrl: string;
  localUrl: string;
}

/**
 * The `listen` job: the webhook listener, optionally behind a tunnel, with every delivery reported,
 * logged and forwarded, until `maxEvents`, `timeoutMs` or the signal. Never prints; always
 * releases what it started (tunnel, then listener, then log file).
 */
export async function runListenFlow(options: ListenFlowOptions): Promise<ListenResult> {
  const emit = options.onEvent ?? (() => {});
  const cleanups: Array<() => Promise<void>> = [];
  const forwarded = new WeakMap<Delivery, ForwardResult>();
  let accepted = 0;
  let refused = 0;
  const counter = new DeliveryCounter();
  let finish: (reason: ListenEnd) => void = () => {};
  const reports = options.refusalReports ?? { perWindow: 20, windowMs: 10_000 };
  const throttle = new RefusalThrottle(reports.perWindow, reports.windowMs);
  const finished = new Promise<ListenEnd>((resolve) => { finish = resolve; });
  let result: ListenResult | undefined;
  let lastAccepted: Delivery | undefined;

  try {
    let log: DeliveryLogWriter | undefined;
    if (options.logPath) {
      log = await openDeliveryLog(options.logPath, { fsync: options.logFsync });
      cleanups.push(() => log!.close());
      if (log.looseMode !== undefined) emit({ type: 'log-loose-mode', path: log.path, mode: log.looseMode });
    }
    // Summaries of the refusals held back, once per window and at the end (before the log closes).
    const summarise = (): void => {
      const summaries = throttle.drain();
      if (summaries.length === 0) return;
      for (const summary of summaries) log?.append({ type: 'refusals-summary', ...summary }).catch(() => {});
      emit({ type: 'refusals-summary', summaries, windowMs: reports.windowMs });
    };
    const summaryTimer = setInterval(summarise, reports.windowMs);
    summaryTimer.unref();
    cleanups.push(async () => {
      clearInterval(summaryTimer);
      summarise();
    });
    const probeToken = newProbeToken();

    const listener: ListenerHandle = await startListener({
      host: options.host,
      port: options.port,
      path: options.path,
      secret: options.secret,
      secretHeader: options.secretHeader,
      probeToken,
      // `listen` reports deliveries as they come and never looks back: keep no history.
      keepAccepted: 0,
      // Only a tunnel needs to know when the last 200 has left (see drainMs).
      trackAnswers: Boolean(options.tunnel) && !options.publicUrl,
      // Only when there is something to do before the 200: otherwise every delivery would pay for it.
      beforeAcknowledge: log || options.forwardTo ? async (delivery) => {
        // The record first: a delivery that is acknowledged is one that is on disk.
        await log?.write(delivery);
        if (options.forwardTo) {
          forwarded.set(delivery, await forwardDelivery(delivery, { url: options.forwardTo, secret: options.secret, secretHeader: options.secretHeader }));
        }
      } : undefined,
      onDelivery: (delivery) => {
        if (delivery.accepted) {
          accepted++;
          lastAccepted = delivery;
        } else refused++;
        counter.add(delivery, true);
        if (!delivery.accepted && !throttle.admit(delivery)) return; // counted, and summarised later
        // Accepted deliveries were logged before their 200; refused ones are logged now.
        if (log && !delivery.accepted && delivery.reason !== 'acknowledge-failed') {
          log.write(delivery).catch((error: Error) => emit({ type: 'log-error', delivery, message: error.message }));
        }
        emit({ type: 'delivery', delivery, forward: forwarded.get(delivery) });
        if (options.maxEvents !== undefined && accepted >= options.maxEvents) finish('max-events');
      },
    });
    cleanups.push(() => listener.close());
    if (options.forwardTo && pointsAtListener(options.forwardTo, listener)) {
      throw new SendtalkVerifyError('usage', `--forward-to ${options.forwardTo} points at this listener itself: each delivery would be forwarded to itself, again and again.`, {
        hint: "Pass your app's webhook URL (another port), e.g. --forward-to http://localhost:3000/webhooks/sendtalk.",
      });
    }

    let tunnel: TunnelHandle | undefined;
    let base: string | undefined = options.publicUrl;
    // Tunnel events from while it opens (a replaced subdomain) are held back: `ready` comes first.
    let held: ListenFlowEvent[] | undefined = [];
    const emitTunnel = (event: ListenFlowEvent): void => (held ? void held.push(event) : emit(event));
    const webhookUrlOf = (url: string): string => joinPublicUrl(url, listener.path);
    if (!base && options.tunnel) {
      const { openTunnel } = await import('../tunnel/open-tunnel.js');
      const bound = listener.server.address();
      tunnel = await openTunnel({
        port: listener.port,
        localHost: tunnelTargetHost(typeof bound === 'object' && bound ? bound.address : listener.host),
        host: options.tunnel.host,
        subdomain: options.tunnel.subdomain,
        registrationTimeoutMs: options.tunnel.registrationTimeoutMs,
        connect: options.tunnel.connect,
        signal: options.signal,
        onEvent: (event) => {
          const current = tunnel?.url ?? ('url' in event ? event.url : undefined);
          emitTunnel({
            type: 'tunnel',
            event,
            webhookUrl: current ? webhookUrlOf(current) : undefined,
            previousWebhookUrl: event.type === 'reopened' ? webhookUrlOf(event.previousUrl) : undefined,
          });
        },
      });
      cleanups.push(() => tunnel!.close());
      base = tunnel.url;
    }
    const webhookUrl = (): string => (base === undefined ? listener.url : webhookUrlOf(tunnel?.url ?? base));
    emit({ type: 'ready', localUrl: listener.url, webhookUrl: webhookUrl(), public: base !== undefined, subdomain: tunnel?.subdomain });
    for (const event of held) emit(event);
    held = undefined;

    if (base !== undefined && options.probe !== false) {
      const result = await probePublicUrl(webhookUrl(), probeToken, { signal: options.signal });
      if (!options.signal?.aborted) emit({ type: 'probe', webhookUrl: webhookUrl(), result });
    }

    emit({ type: 'waiting' });
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => finish('timeout'), options.timeoutMs);
    const onAbort = (): void => finish('interrupted');
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const reason = await finished;
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    if (reason === 'max-events' && tunnel && lastAccepted) {
      const bound = options.drainMs ?? 1000;
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([listener.answered(lastAccepted), new Promise<void>((resolve) => { timer = setTimeout(resolve, bound); })]);
      clearTimeout(timer);
      await tunnel.flush(Math.max(0, bound - (Date.now() - started)));
    }
    const deliveries = counter.snapshot();
    const short = accepted === 0 || (options.maxEvents !== undefined && accepted < options.maxEvents);
    const diagnosis = (reason === 'timeout' && short) || (accepted === 0 && refused > 0) ? diagnoseWait(deliveries, {
      local: base === undefined,
      webhookUrl: webhookUrl(),
      path: listener.path,
      secretHeader: options.secretHeader,
      moreTime: '--timeout waits longer',
      wanted: options.maxEvents,
    }) : undefined;
    result = { reason, accepted, refused, deliveries, ...(diagnosis ? { diagnosis } : {}), webhookUrl: webhookUrl(), localUrl: listener.url };
    return result;
  } catch (error) {
    if (options.signal?.aborted && !(error instanceof SendtalkVerifyError && error.category === 'interrupted')) {
      throw interruptedBy(options.signal);
    }
    throw error;
  } finally {
    // Reverse order of opening: the tunnel before the listener it points at, the log file last.
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    // Deliveries in flight when listening ended are answered while the listener closes: count them.
    if (result) {
      result.accepted = accepted;
      result.refused = refused;
      result.deliveries = counter.snapshot();
    }
  }
}
