import { interruptedBy, SendtalkVerifyError } from '../errors.js';
import { newProbeToken, type ProbeResult } from '../tunnel/probe.js';
import type { TunnelConnector } from '../tunnel/types.js';
import type { RememberedUrlCheck, UrlMemory } from '../tunnel/remembered-url.js';
import { exposeListener, tracksAnswers, type ExposedListener, type TunnelChoice, type TunnelUpdate } from '../tunnel/expose-listener.js';
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
  /** See `ListenerOptions.alsoMask`: the API key, masked in what is recorded (the log included). */
  alsoMask?: ReadonlyArray<string | undefined>;
  /**
   * Open a localtunnel tunnel with these settings, or expose the listener as a `TunnelChoice` says;
   * `false` (or `publicUrl`) opens none. @default false
   */
  tunnel?: false | { host?: string; subdomain?: string; registrationTimeoutMs?: number; connect?: TunnelConnector } | TunnelChoice;
  /** The public base URL of the user's own tunnel (ngrok, cloudflared); no tunnel is opened. */
  publicUrl?: string;
  /** Check the public URL reaches the listener once it is up. @default true */
  probe?: boolean;
  /** Compare the public webhook URL with the last run's, remembered in this state file (event `ready`), and remember it. Off unless given. */
  rememberWebhookUrl?: UrlMemory;
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
  /**
   * `provider`: what exposes the listener (see ExposedListener.provider); `via`: what carries it, when known;
   * `remembered`: how the public webhook URL compares with the last run's (with `rememberWebhookUrl`).
   */
  | { type: 'ready'; localUrl: string; webhookUrl: string; public: boolean; subdomain?: string; provider?: string; via?: string; remembered?: RememberedUrlCheck }
  | { type: 'probe'; webhookUrl: string; result: ProbeResult }
  /** Everything is up (and probed): deliveries are awaited from now on. */
  | { type: 'waiting' }
  /** `webhookUrl` is the current public webhook URL; `previousWebhookUrl` comes with `reopened`. */
  | TunnelUpdate
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

/** What every step of one `listen` run shares: the counts so far and what to close at the end. */
interface ListenRun {
  options: ListenFlowOptions;
  emit: (event: ListenFlowEvent) => void;
  counter: DeliveryCounter;
  accepted: number;
  refused: number;
  lastAccepted?: Delivery;
  /** Ends the wait with its reason (the first call wins). */
  finish: (reason: ListenEnd) => void;
  /** What was started, closed in reverse order at the end. */
  cleanups: Array<() => Promise<void>>;
}

/**
 * The `listen` job: the webhook listener, optionally behind a tunnel, with every delivery reported,
 * logged and forwarded, until `maxEvents`, `timeoutMs` or the signal. Never prints; always
 * releases what it started (tunnel, then listener, then log file).
 */
export async function runListenFlow(options: ListenFlowOptions): Promise<ListenResult> {
  let finish: (reason: ListenEnd) => void = () => {};
  const finished = new Promise<ListenEnd>((resolve) => { finish = resolve; });
  const run: ListenRun = { options, emit: options.onEvent ?? (() => {}), counter: new DeliveryCounter(), accepted: 0, refused: 0, finish, cleanups: [] };
  let result: ListenResult | undefined;
  try {
    const log = await openLog(run);
    const probeToken = newProbeToken();
    const listener = await listen(run, log, probeToken);
    const exposed = await exposeAndAnnounce(run, listener, probeToken);
    const reason = await waitForEnd(run, finished);
    if (reason === 'max-events' && run.lastAccepted) await exposed.answerPassedOn(run.lastAccepted, options.drainMs ?? 1000);
    result = listenResult(run, reason, listener, exposed);
    return result;
  } catch (error) {
    if (options.signal?.aborted && !(error instanceof SendtalkVerifyError && error.category === 'interrupted')) {
      throw interruptedBy(options.signal);
    }
    throw error;
  } finally {
    // Reverse order of opening: the tunnel before the listener it points at, the log file last.
    for (const cleanup of run.cleanups.reverse()) await cleanup().catch(() => {});
    // Deliveries in flight when listening ended are answered while the listener closes: count them.
    if (result) {
      result.accepted = run.accepted;
      result.refused = run.refused;
      result.deliveries = run.counter.snapshot();
    }
  }
}

/** Opens `--log` (when asked), warning when others can read it. */
async function openLog(run: ListenRun): Promise<DeliveryLogWriter | undefined> {
  if (!run.options.logPath) return undefined;
  const log = await openDeliveryLog(run.options.logPath, { fsync: run.options.logFsync });
  run.cleanups.push(() => log.close());
  if (log.looseMode !== undefined) run.emit({ type: 'log-loose-mode', path: log.path, mode: log.looseMode });
  return log;
}

/**
 * Refusals past the per-window allowance are counted, not reported; their summaries go out once
 * per window and at the end (before the log closes). Returns whether a refusal is reported now.
 */
function summariseRefusals(run: ListenRun, log: DeliveryLogWriter | undefined): (delivery: Delivery) => boolean {
  const reports = run.options.refusalReports ?? { perWindow: 20, windowMs: 10_000 };
  const throttle = new RefusalThrottle(reports.perWindow, reports.windowMs);
  const summarise = (): void => {
    const summaries = throttle.drain();
    if (summaries.length === 0) return;
    for (const summary of summaries) log?.append({ type: 'refusals-summary', ...summary }).catch(() => {});
    run.emit({ type: 'refusals-summary', summaries, windowMs: reports.windowMs });
  };
  const summaryTimer = setInterval(summarise, reports.windowMs);
  summaryTimer.unref();
  run.cleanups.push(async () => {
    clearInterval(summaryTimer);
    summarise();
  });
  return (delivery) => throttle.admit(delivery);
}

/** Starts the listener: each accepted delivery logged and forwarded before its 200, every one counted and reported. */
async function listen(run: ListenRun, log: DeliveryLogWriter | undefined, probeToken: string): Promise<ListenerHandle> {
  const { options, emit } = run;
  const admit = summariseRefusals(run, log);
  const forwarded = new WeakMap<Delivery, ForwardResult>();
  const listener = await startListener({
    host: options.host,
    port: options.port,
    path: options.path,
    secret: options.secret,
    alsoMask: options.alsoMask,
    secretHeader: options.secretHeader,
    probeToken,
    // `listen` reports deliveries as they come and never looks back: keep no history.
    keepAccepted: 0,
    trackAnswers: tracksAnswers(tunnelChoiceOf(options)),
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
        run.accepted++;
        run.lastAccepted = delivery;
      } else run.refused++;
      run.counter.add(delivery, true);
      if (!delivery.accepted && !admit(delivery)) return; // counted, and summarised later
      // Accepted deliveries were logged before their 200; refused ones are logged now.
      if (log && !delivery.accepted && delivery.reason !== 'acknowledge-failed') {
        log.write(delivery).catch((error: Error) => emit({ type: 'log-error', delivery, message: error.message }));
      }
      emit({ type: 'delivery', delivery, forward: forwarded.get(delivery) });
      if (options.maxEvents !== undefined && run.accepted >= options.maxEvents) run.finish('max-events');
    },
  });
  run.cleanups.push(() => listener.close());
  if (options.forwardTo && pointsAtListener(options.forwardTo, listener)) {
    throw new SendtalkVerifyError('usage', `--forward-to ${options.forwardTo} points at this listener itself: each delivery would be forwarded to itself, again and again.`, {
      hint: "Pass your app's webhook URL (another port), e.g. --forward-to http://localhost:3000/webhooks/sendtalk.",
    });
  }
  return listener;
}

/** How SendTalk reaches the listener, from the options a library user may pass. */
function tunnelChoiceOf(options: ListenFlowOptions): TunnelChoice {
  if (options.publicUrl) return { kind: 'public-url', publicUrl: options.publicUrl };
  const tunnel = options.tunnel;
  if (!tunnel) return { kind: 'none' };
  if ('kind' in tunnel) return tunnel;
  return { kind: 'localtunnel', host: tunnel.host, subdomain: tunnel.subdomain, timeoutMs: tunnel.registrationTimeoutMs, connect: tunnel.connect };
}

/** Exposes the listener, says it is ready (then any tunnel events from while it opened), and probes the public URL. */
async function exposeAndAnnounce(run: ListenRun, listener: ListenerHandle, probeToken: string): Promise<ExposedListener> {
  const { options, emit } = run;
  // Tunnel events from while it opens (a replaced subdomain) are held back: `ready` comes first.
  let held: ListenFlowEvent[] | undefined = [];
  const exposed = await exposeListener(listener, tunnelChoiceOf(options), {
    probeToken,
    signal: options.signal,
    memory: options.rememberWebhookUrl,
    onEvent: (update) => (held ? void held.push(update) : emit(update)),
  });
  run.cleanups.push(() => exposed.close());
  const { remembered } = exposed;
  emit({
    type: 'ready', localUrl: listener.url, webhookUrl: exposed.webhookUrl(), public: exposed.isPublic, subdomain: exposed.subdomain,
    provider: exposed.provider, ...(exposed.via ? { via: exposed.via } : {}), ...(remembered ? { remembered } : {}),
  });
  for (const event of held) emit(event);
  held = undefined;
  if (exposed.isPublic && options.probe !== false) {
    const result = await exposed.probe(options.signal);
    if (!options.signal?.aborted) emit({ type: 'probe', webhookUrl: exposed.webhookUrl(), result });
  }
  return exposed;
}

/** Waits for `maxEvents` (reported by the listener), the time-out or the signal, whichever comes first. */
async function waitForEnd(run: ListenRun, finished: Promise<ListenEnd>): Promise<ListenEnd> {
  const { options } = run;
  run.emit({ type: 'waiting' });
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => run.finish('timeout'), options.timeoutMs);
  const onAbort = (): void => run.finish('interrupted');
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const reason = await finished;
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  return reason;
}

/** The result, with the likeliest cause when listening ended short (or saw refusals only). */
function listenResult(run: ListenRun, reason: ListenEnd, listener: ListenerHandle, exposed: ExposedListener): ListenResult {
  const { options, accepted, refused } = run;
  const deliveries = run.counter.snapshot();
  const short = accepted === 0 || (options.maxEvents !== undefined && accepted < options.maxEvents);
  const diagnosis = (reason === 'timeout' && short) || (accepted === 0 && refused > 0) ? diagnoseWait(deliveries, {
    local: !exposed.isPublic,
    webhookUrl: exposed.webhookUrl(),
    path: listener.path,
    secretHeader: options.secretHeader,
    moreTime: '--timeout waits longer',
    wanted: options.maxEvents,
  }) : undefined;
  return { reason, accepted, refused, deliveries, ...(diagnosis ? { diagnosis } : {}), webhookUrl: exposed.webhookUrl(), localUrl: listener.url };
}
