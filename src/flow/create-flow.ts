import { DEFAULT_API_URL, requestVerification } from '../client/create-verification.js';
import type { Verification } from '../client/parse-verification.js';
import { longTimeoutSignal } from '../duration.js';
import { interruptedBy, SendtalkVerifyError } from '../errors.js';
import type { JsonObject } from '../fields.js';
import { parseCreateFlowOptions, type CreateFlowConfig, type CreateFlowEvent, type CreateFlowOptions } from './create-options.js';
import { startEmulator, randomCredential, type EmulatorHandle } from '../emulator/emulator.js';
import { startListener, type Delivery, type ListenerHandle } from '../webhook/listener.js';
import type { DeliveryTally } from '../webhook/delivery-tally.js';
import { diagnoseWait, type WaitDiagnosis } from './wait-diagnosis.js';
import { eventVerdict } from '../webhook/match.js';
import { newProbeToken } from '../tunnel/probe.js';
import { exposeListener, tracksAnswers, tunnelChoiceOf, type ExposedListener } from '../tunnel/expose-listener.js';
import type { RememberedUrlCheck } from '../tunnel/remembered-url.js';
import { VerificationDeliveries } from './verification-deliveries.js';
import { waitDeadline } from './wait-deadline.js';

export type { CreateFlowOptions, CreateFlowEvent };

/** `not-verified`: the matched delivery's own status said the verification did not succeed. */
export type CreateStatus = 'created' | 'verified' | 'not-verified' | 'timeout' | 'expired';

export interface CreateResult {
  status: CreateStatus;
  verification: Verification;
  createdAt: string;
  verifiedAt?: string;
  /** From the start of the create request to the matching delivery (or to giving up). */
  elapsedMs: number;
  /** The webhook URL when the flow ended (a tunnel that re-opened may have changed it). */
  webhookUrl?: string;
  /** What made the webhook URL public (`localtunnel`, `cloudflared`, `public-url`…): with `--tunnel auto`, the one that opened. Absent when local. */
  tunnel?: string;
  /** How the public webhook URL compared with the last run's (with `rememberWebhookUrl`). */
  remembered?: RememberedUrlCheck;
  matchedBy?: 'id' | 'phone';
  /** The accepted webhook payload, as received. */
  webhook?: JsonObject;
  /** The matched delivery's own status field, as sent (`verified`, `failed`…), when it had one. */
  eventStatus?: string;
  /** What arrived while waiting (absent with `wait: false`): says why a wait ended without success. */
  deliveries?: DeliveryTally;
  /** With `timeout` and `expired`: the likeliest cause, read from `deliveries`, and what to do. */
  diagnosis?: WaitDiagnosis;
  sandbox: boolean;
}

/** What every step of one `create` run shares. */
interface CreateRun {
  options: CreateFlowConfig;
  sandbox: boolean;
  /** Aborted by the caller's signal; every step stops on it. */
  signal: AbortSignal;
  emit: (event: CreateFlowEvent) => void;
  deliveries: VerificationDeliveries;
  /** What was started, closed in reverse order at the end. */
  cleanups: Array<() => Promise<void>>;
}

/** Where the verification is created, and the secret deliveries must carry. */
interface ApiTarget {
  apiUrl: URL;
  apiKey: string;
  secret?: string;
  emulator?: EmulatorHandle;
}

/** The listener waiting for the verified webhook, and how SendTalk reaches it. */
interface Exposure {
  listener: ListenerHandle;
  exposed: ExposedListener;
}

/**
 * The whole `create` job: start the listener (and, in the sandbox, the emulator), create the
 * verification, and wait for the verified webhook. Never prints; reports progress through `onEvent`
 * and always releases what it started, whatever happens.
 */
export async function runCreateFlow(options: CreateFlowOptions): Promise<CreateResult> {
  return runCheckedCreateFlow(parseCreateFlowOptions(options));
}

/** `runCreateFlow` on values already checked (see `parseCreateFlowOptions`). */
export async function runCheckedCreateFlow(options: CreateFlowConfig): Promise<CreateResult> {
  const sandbox = options.sandbox ?? false;
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onOuterAbort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const run: CreateRun = {
    options,
    sandbox,
    signal: controller.signal,
    emit: options.onEvent ?? (() => {}),
    deliveries: new VerificationDeliveries(),
    cleanups: [],
  };
  try {
    const api = sandbox
      ? await startSandbox(run)
      : { apiUrl: options.apiUrl ?? new URL(DEFAULT_API_URL), apiKey: options.apiKey ?? '', secret: options.secret };
    const exposure = (options.wait ?? true) ? await listenAndExpose(run, api) : undefined;
    return await createAndWait(run, api, exposure);
  } catch (error) {
    if (run.signal.aborted && !(error instanceof SendtalkVerifyError && error.category === 'interrupted')) throw interruptedBy(run.signal);
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
    // Close in reverse order of opening: the tunnel before the listener it points at.
    for (const cleanup of run.cleanups.reverse()) await cleanup().catch(() => {});
  }
}

/** The sandbox: an in-process emulator with generated credentials, delivering after `sandboxDelayMs`. */
async function startSandbox(run: CreateRun): Promise<ApiTarget> {
  const { options } = run;
  const apiKey = randomCredential('sandbox_key');
  const secret = randomCredential('sandbox_secret');
  const emulator = await startEmulator({
    apiKey,
    secret,
    secretHeader: options.secretHeader,
    autoVerifyMs: (options.wait ?? true) ? (options.sandboxDelayMs ?? 2000) : false,
  });
  run.cleanups.push(() => emulator.close());
  run.emit({ type: 'sandbox', apiUrl: emulator.url });
  return { apiUrl: new URL(emulator.url), apiKey, secret, emulator };
}

/** Starts the listener, exposes it, tells the emulator where to deliver, and probes the public URL. */
async function listenAndExpose(run: CreateRun, api: ApiTarget): Promise<Exposure> {
  const { options, emit, deliveries } = run;
  // The sandbox's emulator delivers on loopback: it never needs a tunnel.
  const choice = tunnelChoiceOf(run.sandbox ? 'none' : options.tunnel);
  // Only the probe knows this token, so a probe answer proves the URL reaches this listener.
  const probeToken = run.sandbox ? undefined : newProbeToken();
  const listener = await startListener({
    probeToken,
    host: options.host,
    port: options.port,
    path: options.path,
    secret: api.secret,
    alsoMask: [api.apiKey],
    secretHeader: options.secretHeader,
    // A tunnel this flow opens closes once the verified delivery's 200 has left (see drainMs).
    trackAnswers: tracksAnswers(choice),
    onDelivery: (delivery) => emit({ type: 'delivery', delivery, matched: deliveries.arrived(delivery) }),
  });
  run.cleanups.push(() => listener.close());
  const exposed = await exposeListener(listener, choice, {
    probeToken,
    signal: run.signal,
    onEvent: emit,
    memory: run.sandbox ? undefined : options.rememberWebhookUrl,
    // Without the first probe there is no check to repeat either.
    ...(options.probe === false ? { watchdog: false as const } : {}),
  });
  run.cleanups.push(() => exposed.close());
  const url = exposed.webhookUrl();
  api.emulator?.setWebhook({ url });
  // Before anything is created: a changed URL needs the dashboard first.
  const { remembered } = exposed;
  emit({
    type: 'listening',
    localUrl: listener.url,
    webhookUrl: url,
    public: exposed.isPublic,
    provider: exposed.provider,
    ...(exposed.via ? { via: exposed.via } : {}),
    ...(remembered ? { remembered } : {}),
  });
  if (exposed.isPublic && probeToken && options.probe !== false) {
    const result = await exposed.probe(run.signal);
    if (run.signal.aborted) return { listener, exposed };
    // The user's own tunnel that misses this listener would miss SendTalk's call too: creating the
    // verification would only start a wait that cannot end well. (A tunnel this flow opened is
    // still given its chance: a failed probe through it may be the provider's passing hiccup.)
    if (!result.ok && choice.kind === 'public-url') throw unreachedPublicUrl(choice.publicUrl, url, result.reason, listener, options.port);
    emit({ type: 'probe', webhookUrl: url, result });
  }
  return { listener, exposed };
}

/** Exit 6 before anything is created: the URL, why the probe failed, and where it must forward to. */
function unreachedPublicUrl(
  publicUrl: string,
  webhookUrl: string,
  reason: string,
  listener: ListenerHandle,
  askedPort: number | undefined,
): SendtalkVerifyError {
  // Without --port the listener's port is new every run, so no tunnel can have been pointed at it.
  const port = askedPort ? listener.port : 8787;
  const forward = `${askedPort ? 'Make' : `Pass --port ${port} and make`} ${publicUrl} forward to ${listener.host}:${port} (path ${listener.path})`;
  return new SendtalkVerifyError('tunnel', `The webhook URL ${webhookUrl} does not reach this listener: ${reason}.`, {
    hint: `${forward}, then run again; nothing was created.`,
  });
}

/** Creates the verification, then (when listening) waits for its verified webhook. */
async function createAndWait(run: CreateRun, api: ApiTarget, exposure: Exposure | undefined): Promise<CreateResult> {
  const { options } = run;
  const started = Date.now();
  const createdAt = new Date(started).toISOString();
  const verification = await requestVerification({
    apiKey: api.apiKey,
    apiUrl: api.apiUrl,
    phone: options.phone,
    language: options.language,
    expiryMinutes: options.expiryMinutes,
    appUrl: options.appUrl,
    timeoutMs: options.apiTimeoutMs,
    signal: run.signal,
    onTrace: options.onTrace,
  });
  run.deliveries.created(verification);
  run.emit({ type: 'created', verification });
  // What every outcome reports, read when it ends (a re-opened tunnel may have another URL by then).
  const outcomeFacts = (): ResultFacts => ({
    verification,
    createdAt,
    webhookUrl: exposure?.exposed.webhookUrl(),
    sandbox: run.sandbox,
    ...(exposure?.exposed.isPublic ? { tunnel: exposure.exposed.provider } : {}),
    ...(exposure?.exposed.remembered ? { remembered: exposure.exposed.remembered } : {}),
    ...(exposure ? { deliveries: run.deliveries.snapshot() } : {}),
  });
  if (!exposure) return { ...outcomeFacts(), status: 'created', elapsedMs: Date.now() - started };
  return waitForVerified(run, exposure, verification, { started, outcomeFacts });
}

type ResultFacts = Omit<CreateResult, 'status' | 'elapsedMs'>;

/** Waits for the matching delivery until the deadline; a time-out is a result (with its likeliest cause), not an error. */
async function waitForVerified(
  run: CreateRun,
  { listener, exposed }: Exposure,
  verification: Verification,
  { started, outcomeFacts }: { started: number; outcomeFacts: () => ResultFacts },
): Promise<CreateResult> {
  const { options, signal } = run;
  // The wait starts once the verification exists: the request's own time is not taken from --timeout.
  const { deadline, until, ignoredExpiry } = waitDeadline(Date.now(), verification, options);
  run.emit({ type: 'waiting', deadline, until, ...(ignoredExpiry ? { ignoredExpiry } : {}) });
  const timer = longTimeoutSignal(deadline - Date.now());
  try {
    const delivery = await listener.waitFor(run.deliveries.matches, AbortSignal.any([signal, timer]));
    await exposed.answerPassedOn(delivery, options.drainMs ?? 1000);
    return {
      ...outcomeFacts(),
      ...verdictOf(delivery),
      elapsedMs: Date.parse(delivery.receivedAt) - started,
      matchedBy: run.deliveries.matchedBy(delivery),
      webhook: delivery.payload,
    };
  } catch (error) {
    if (signal.aborted) throw interruptedWhileWaiting(signal, verification);
    if (!timer.aborted) throw error;
    const ended = outcomeFacts();
    const diagnosis = diagnoseWait(ended.deliveries!, {
      local: !exposed.isPublic && !run.sandbox,
      sandbox: run.sandbox,
      webhookUrl: ended.webhookUrl,
      path: listener.path,
      secretHeader: options.secretHeader,
      moreTime: until === 'expiry' ? '--expiry gives a verification longer to live (up to 1440 minutes)' : '--timeout waits longer',
    });
    return { ...ended, status: until === 'expiry' ? 'expired' : 'timeout', elapsedMs: Date.now() - started, diagnosis };
  }
}

/**
 * An interruption once the verification exists still names it (`details.verification`): it lives
 * on at SendTalk until it expires, and a script may still want its id, link and phone.
 */
function interruptedWhileWaiting(signal: AbortSignal, verification: Verification): SendtalkVerifyError {
  const error = interruptedBy(signal);
  const { id, phone, link } = verification;
  return new SendtalkVerifyError(error.category, error.message, {
    hint: error.hint,
    code: error.code,
    exitCode: error.exitCode,
    cause: error,
    details: { ...error.details, verification: { id, phone, link } },
  });
}

/** What the matched delivery says: accepted and for this verification, but its own status may say it did not succeed. */
function verdictOf(delivery: Delivery): Pick<CreateResult, 'status' | 'eventStatus' | 'verifiedAt'> {
  const status = eventVerdict(delivery);
  return {
    status,
    ...(delivery.payloadStatus !== undefined ? { eventStatus: delivery.payloadStatus } : {}),
    ...(status === 'verified' ? { verifiedAt: delivery.receivedAt } : {}),
  };
}
