import { interruptedBy, SendtalkVerifyError } from '../errors.js';
import { newProbeToken } from '../tunnel/probe.js';
import { looksLikeBrowser } from '../tunnel/reminder-page.js';
import { exposeListener, tracksAnswers, tunnelChoiceOf, type ExposedListener } from '../tunnel/expose-listener.js';
import { openDeliveryLog, type DeliveryLogWriter } from '../webhook/delivery-log-writer.js';
import { DeliveryCounter } from '../webhook/delivery-tally.js';
import { diagnoseWait } from './wait-diagnosis.js';
import { forwardDelivery, pointsAtListener, type ForwardResult } from '../webhook/forward-delivery.js';
import { startListener, type Delivery, type ListenerHandle } from '../webhook/listener.js';
import { RefusalThrottle } from './refusal-throttle.js';
import type { ListenEnd, ListenFlowEvent, ListenFlowOptions, ListenResult } from './listen-options.js';

export type { ListenEnd, ListenFlowEvent, ListenFlowOptions, ListenResult } from './listen-options.js';

/** What every step of one `listen` run shares: the counts so far and what to close at the end. */
interface ListenRun {
  options: ListenFlowOptions;
  emit: (event: ListenFlowEvent) => void;
  counter: DeliveryCounter;
  accepted: number;
  refused: number;
  lastAccepted?: Delivery;
  /** What exposes the listener once it is (`localtunnel`, `cloudflared`…; with `auto`, the one that opened). */
  provider?: string;
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
  const finished = new Promise<ListenEnd>((resolve) => {
    finish = resolve;
  });
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
    trackAnswers: tracksAnswers(tunnelChoiceOf(options.tunnel)),
    // Only when there is something to do before the 200: otherwise every delivery would pay for it.
    beforeAcknowledge:
      log || options.forwardTo
        ? async (delivery) => {
            // The record first: a delivery that is acknowledged is one that is on disk.
            await log?.write(delivery);
            if (options.forwardTo) {
              forwarded.set(delivery, await forwardDelivery(delivery, { url: options.forwardTo, secret: options.secret, secretHeader: options.secretHeader }));
            }
          }
        : undefined,
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
      emit({ type: 'delivery', delivery, forward: forwarded.get(delivery), ...browserWarning(run, delivery) });
      if (options.maxEvents !== undefined && run.accepted >= options.maxEvents) run.finish('max-events');
    },
  });
  run.cleanups.push(() => listener.close());
  if (options.forwardTo && pointsAtListener(options.forwardTo, listener)) {
    throw new SendtalkVerifyError(
      'usage',
      `--forward-to ${options.forwardTo} points at this listener itself: each delivery would be forwarded to itself, again and again.`,
      {
        hint: "Pass your app's webhook URL (another port), e.g. --forward-to http://localhost:3000/webhooks/sendtalk.",
      },
    );
  }
  return listener;
}

/**
 * Whether a delivery gets the browser-like User-Agent warning. A tunnel's requests reach the
 * listener from loopback like local ones (localtunnel rewrites their Host too), so "through
 * localtunnel" means "while exposed through it": a local test sender rarely claims to be a browser.
 */
function browserWarning(run: ListenRun, delivery: Delivery): { browserThroughLocaltunnel?: true } {
  // The provider that opened (`--tunnel auto` may have fallen back to cloudflared, which has no reminder page).
  const provider = run.provider ?? tunnelChoiceOf(run.options.tunnel).kind;
  return provider === 'localtunnel' && looksLikeBrowser(delivery.headers['user-agent']) ? { browserThroughLocaltunnel: true } : {};
}

/** Exposes the listener, says it is ready (then any tunnel events from while it opened), and probes the public URL. */
async function exposeAndAnnounce(run: ListenRun, listener: ListenerHandle, probeToken: string): Promise<ExposedListener> {
  const { options, emit } = run;
  // Tunnel events from while it opens (a replaced subdomain) are held back: `ready` comes first.
  let held: ListenFlowEvent[] | undefined = [];
  const exposed = await exposeListener(listener, tunnelChoiceOf(options.tunnel), {
    probeToken,
    signal: options.signal,
    memory: options.rememberWebhookUrl,
    // Without the first probe there is no check to repeat either.
    ...(options.probe === false ? { watchdog: false as const } : {}),
    onEvent: (update) => (held ? void held.push(update) : emit(update)),
  });
  run.cleanups.push(() => exposed.close());
  run.provider = exposed.provider;
  const { remembered } = exposed;
  emit({
    type: 'ready',
    localUrl: listener.url,
    webhookUrl: exposed.webhookUrl(),
    public: exposed.isPublic,
    subdomain: exposed.subdomain,
    provider: exposed.provider,
    ...(exposed.via ? { via: exposed.via } : {}),
    ...(remembered ? { remembered } : {}),
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
  const diagnosis =
    (reason === 'timeout' && short) || (accepted === 0 && refused > 0)
      ? diagnoseWait(deliveries, {
          local: !exposed.isPublic,
          webhookUrl: exposed.webhookUrl(),
          path: listener.path,
          secretHeader: options.secretHeader,
          moreTime: '--timeout waits longer',
          wanted: options.maxEvents,
        })
      : undefined;
  return { reason, accepted, refused, deliveries, ...(diagnosis ? { diagnosis } : {}), webhookUrl: exposed.webhookUrl(), localUrl: listener.url };
}
