import { CREATE_PATH, createVerification, joinUrl, type LanguageCode } from '../client/create-verification.js';
import type { Verification } from '../client/parse-verification.js';
import { longTimeoutSignal } from '../long-timeout.js';
import { interruptedBy, noApiKeyError, SendtalkVerifyError } from '../errors.js';
import type { JsonObject } from '../fields.js';
import { parsePhone } from '../phone.js';
import { startEmulator, randomCredential, type EmulatorHandle } from '../emulator/emulator.js';
import { startListener, type Delivery, type ListenerHandle } from '../webhook/listener.js';
import { DeliveryCounter, type DeliveryTally } from '../webhook/delivery-tally.js';
import { diagnoseWait, type WaitDiagnosis } from './wait-diagnosis.js';
import { eventVerdict, matchDelivery } from '../webhook/match.js';
import { newProbeToken, probePublicUrl, type ProbeResult } from '../tunnel/probe.js';
import { joinPublicUrl, tunnelTargetHost } from '../tunnel/tunnel-config.js';

export { joinPublicUrl };

/**
 * Opens a public URL for the local listener (a tunnel); returns its base URL and a way to close it.
 * `local.host` is the address to connect to (loopback when the listener binds every interface);
 * `local.path` is the listener's path, for providers that report full webhook URLs.
 */
export type PublicUrlProvider = (local: { host: string; port: number; path: string }, signal: AbortSignal) => Promise<PublicUrl>;

/** An open public URL. `url` is read whenever it is needed: a tunnel that re-opens may change it. */
export interface PublicUrl {
  readonly url: string;
  /** Resolves once answers already written have been passed on through it (a tunnel); see TunnelHandle.flush. */
  flush?(boundMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface CreateFlowOptions {
  phone: string;
  /** @default 'en' */
  language?: LanguageCode;
  expiryMinutes?: number;
  appUrl?: string;
  /** Required unless `sandbox`. */
  apiKey?: string;
  apiUrl?: string;
  /** Bound on the whole create call to the API, retries included. @default 25_000 */
  apiTimeoutMs?: number;
  /** Webhook secret from Verification Config; generated in the sandbox. Without it deliveries are not checked. */
  secret?: string;
  secretHeader?: string;
  /** Listener interface. @default '127.0.0.1' */
  host?: string;
  /** Listener port; 0 picks a free one. @default 0 */
  port?: number;
  /** Listener path. @default '/webhook' */
  path?: string;
  /** The public base URL the user's own tunnel forwards to the listener (ngrok, cloudflared). */
  publicUrl?: string;
  /** Opens a tunnel when neither `sandbox` nor `publicUrl` gives a URL. Without it the listener stays local. */
  openPublicUrl?: PublicUrlProvider;
  /**
   * Before creating the verification, send one request through the public URL and report (event
   * `probe`) whether it reached the listener. Not done in the sandbox or without a public URL.
   * @default true
   */
  probe?: boolean;
  /**
   * Once verified through a tunnel this flow opened, the tunnel closes only after the 200 has been
   * passed on through it (closing at once would cut it, and SendTalk would retry), waiting at most
   * this long for that. @default 1000
   */
  drainMs?: number;
  /** Wait for the verified webhook. @default true */
  wait?: boolean;
  /** Give up waiting after this long; the verification's expiry bounds it too. */
  timeoutMs?: number;
  /** Run against an in-process emulator with generated credentials: no key, no network. */
  sandbox?: boolean;
  /** Sandbox: delay before the emulator delivers the verified webhook. @default 2000 */
  sandboxDelayMs?: number;
  signal?: AbortSignal;
  onEvent?: (event: CreateFlowEvent) => void;
  /** HTTP trace lines for `--debug`, secrets masked. */
  onTrace?: (line: string) => void;
}

export type CreateFlowEvent =
  | { type: 'sandbox'; apiUrl: string }
  | { type: 'listening'; localUrl: string; webhookUrl: string; public: boolean }
  | { type: 'probe'; webhookUrl: string; result: ProbeResult }
  | { type: 'created'; verification: Verification }
  /** `ignoredExpiry`: the answer's expiry was in the past or implausibly far, and why it was not used. */
  | { type: 'waiting'; deadline: number; until: 'timeout' | 'expiry'; ignoredExpiry?: { expiresAt: string; why: 'past' | 'far' } }
  /** `matched` is undefined for a delivery that arrived before the create answered: it is matched then. */
  | { type: 'delivery'; delivery: Delivery; matched: boolean | undefined };

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

/** When the expiry is unknown and no timeout is given, wait this long. */
export const DEFAULT_WAIT_MS = 10 * 60_000;

/**
 * The whole `create` job: start the listener (and, in the sandbox, the emulator), create the
 * verification, and wait for the verified webhook. Never prints; reports progress through `onEvent`
 * and always releases what it started, whatever happens.
 */
export async function runCreateFlow(options: CreateFlowOptions): Promise<CreateResult> {
  // Bad input fails before anything starts (a tunnel can take 20 s to open).
  const phone = parsePhone(options.phone);
  if (options.apiUrl !== undefined) joinUrl(options.apiUrl, CREATE_PATH);
  const wait = options.wait ?? true;
  const sandbox = options.sandbox ?? false;
  if (!sandbox && !options.apiKey) throw noApiKeyError();
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onOuterAbort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = controller.signal;
  const cleanups: Array<() => Promise<void>> = [];
  const emit = options.onEvent ?? (() => {});

  // Set once the verification exists; deliveries that arrive earlier are matched when it is.
  let target: { id: string; phone: string } | undefined;
  const matches = (d: Delivery): boolean => d.accepted && target !== undefined && matchDelivery(d, target) !== undefined;
  // Counted as they come; those that beat the create's answer are counted once it is known.
  const counter = new DeliveryCounter();
  const early: Delivery[] = [];
  const count = (d: Delivery): void => {
    if (target !== undefined) counter.add(d, matches(d));
    else if (early.length < 1000) early.push(d);
  };

  try {
    let emulator: EmulatorHandle | undefined;
    let apiUrl = options.apiUrl;
    let apiKey = options.apiKey ?? '';
    let secret = options.secret;
    if (sandbox) {
      apiKey = randomCredential('sandbox_key');
      secret = randomCredential('sandbox_secret');
      emulator = await startEmulator({
        apiKey,
        secret,
        secretHeader: options.secretHeader,
        autoVerifyMs: wait ? (options.sandboxDelayMs ?? 2000) : false,
      });
      cleanups.push(() => emulator!.close());
      apiUrl = emulator.url;
      emit({ type: 'sandbox', apiUrl });
    }

    let listener: ListenerHandle | undefined;
    // The webhook URL now: read again at the end, because a re-opened tunnel may have another.
    let webhookUrl = (): string | undefined => undefined;
    let tunnelOpened: PublicUrl | undefined;
    let isPublic = false;
    if (wait) {
      // Only the probe knows this token, so a probe answer proves the URL reaches this listener.
      const probeToken = sandbox ? undefined : newProbeToken();
      listener = await startListener({
        probeToken,
        host: options.host,
        port: options.port,
        path: options.path,
        secret,
        secretHeader: options.secretHeader,
        // A tunnel this flow opens closes once the verified delivery's 200 has left (see drainMs).
        trackAnswers: !sandbox && !options.publicUrl && options.openPublicUrl !== undefined,
        onDelivery: (delivery) => {
          count(delivery);
          emit({ type: 'delivery', delivery, matched: target === undefined ? undefined : matches(delivery) });
        },
      });
      cleanups.push(() => listener!.close());
      const { path, url: localUrl } = listener;
      // The sandbox stays local whatever is asked: its emulator delivers to the listener directly.
      let publicBase = (): string | undefined => undefined;
      const { publicUrl, openPublicUrl } = sandbox ? {} : options;
      if (publicUrl) publicBase = () => publicUrl;
      else if (openPublicUrl) {
        const bound = listener.server.address();
        const host = tunnelTargetHost(typeof bound === 'object' && bound ? bound.address : listener.host);
        const tunnel = await openPublicUrl({ host, port: listener.port, path }, signal);
        cleanups.push(() => tunnel.close());
        tunnelOpened = tunnel;
        publicBase = () => tunnel.url;
      }
      webhookUrl = () => {
        const base = publicBase();
        return base ? joinPublicUrl(base, path) : localUrl;
      };
      isPublic = publicBase() !== undefined;
      const url = webhookUrl()!;
      emulator?.setWebhook({ url });
      emit({ type: 'listening', localUrl, webhookUrl: url, public: isPublic });
      if (isPublic && probeToken && options.probe !== false) {
        const result = await probePublicUrl(url, probeToken, { signal });
        if (!signal.aborted) emit({ type: 'probe', webhookUrl: url, result });
      }
    }

    const started = Date.now();
    const createdAt = new Date(started).toISOString();
    const verification = await createVerification({
      apiKey,
      apiUrl,
      phone: phone.digits,
      language: options.language,
      expiryMinutes: options.expiryMinutes,
      appUrl: options.appUrl,
      timeoutMs: options.apiTimeoutMs,
      signal,
      onTrace: options.onTrace,
    });
    target = { id: verification.id, phone: verification.phone };
    for (const d of early.splice(0)) count(d);
    emit({ type: 'created', verification });

    const base = (): Omit<CreateResult, 'status' | 'elapsedMs'> => ({
      verification, createdAt, webhookUrl: webhookUrl(), sandbox, ...(listener ? { deliveries: counter.snapshot() } : {}),
    });
    if (!listener) return { ...base(), status: 'created', elapsedMs: Date.now() - started };

    // The wait starts once the verification exists: the request's own time is not taken from --timeout.
    const { deadline, until, ignoredExpiry } = waitDeadline(Date.now(), verification, options);
    emit({ type: 'waiting', deadline, until, ...(ignoredExpiry ? { ignoredExpiry } : {}) });
    const timer = longTimeoutSignal(deadline - Date.now());
    const waitSignal = AbortSignal.any([signal, timer]);
    try {
      const delivery = await listener.waitFor(matches, waitSignal);
      if (tunnelOpened) await answerPassedOn(listener, delivery, tunnelOpened, options.drainMs ?? 1000);
      // Accepted and for this verification, but its own status may say it did not succeed.
      const status = eventVerdict(delivery);
      return {
        ...base(),
        status,
        ...(delivery.payloadStatus !== undefined ? { eventStatus: delivery.payloadStatus } : {}),
        ...(status === 'verified' ? { verifiedAt: delivery.receivedAt } : {}),
        elapsedMs: Date.parse(delivery.receivedAt) - started,
        matchedBy: matchDelivery(delivery, target),
        webhook: delivery.payload,
      };
    } catch (error) {
      if (signal.aborted) throw interruptedBy(signal);
      if (timer.aborted) {
        const ended = base();
        const diagnosis = diagnoseWait(ended.deliveries!, {
          local: !isPublic && !sandbox,
          webhookUrl: ended.webhookUrl,
          path: listener.path,
          secretHeader: options.secretHeader,
          moreTime: until === 'expiry' ? '--expiry gives a verification longer to live (up to 1440 minutes)' : '--timeout waits longer',
        });
        return { ...ended, status: until === 'expiry' ? 'expired' : 'timeout', elapsedMs: Date.now() - started, diagnosis };
      }
      throw error;
    }
  } catch (error) {
    if (signal.aborted && !(error instanceof SendtalkVerifyError && error.category === 'interrupted')) throw interruptedBy(signal);
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
    // Close in reverse order of opening: the tunnel before the listener it points at.
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}

/** An expiry further away than this is not believed (SendTalk's expiries are minutes). */
export const FAR_EXPIRY_MS = 7 * 24 * 60 * 60_000;

/**
 * Deadline = the earlier of `--timeout` and the verification's expiry; `until` says which. An
 * expiry in the past (a clock off, a field misread) or implausibly far is set aside, and said so.
 */
export function waitDeadline(started: number, v: Verification, options: Pick<CreateFlowOptions, 'expiryMinutes' | 'timeoutMs'>): {
  deadline: number;
  until: 'timeout' | 'expiry';
  ignoredExpiry?: { expiresAt: string; why: 'past' | 'far' };
} {
  let expiry = v.expiresAt ? Date.parse(v.expiresAt)
    : options.expiryMinutes !== undefined ? started + options.expiryMinutes * 60_000 : undefined;
  let ignoredExpiry: { expiresAt: string; why: 'past' | 'far' } | undefined;
  if (expiry !== undefined && (!Number.isFinite(expiry) || expiry <= started || expiry - started > FAR_EXPIRY_MS)) {
    ignoredExpiry = { expiresAt: v.expiresAt ?? String(expiry), why: Number.isFinite(expiry) && expiry <= started ? 'past' : 'far' };
    expiry = options.expiryMinutes !== undefined ? started + options.expiryMinutes * 60_000 : undefined;
  }
  const chosen = pickDeadline(started, expiry, options.timeoutMs);
  return ignoredExpiry ? { ...chosen, ignoredExpiry } : chosen;
}

function pickDeadline(started: number, expiry: number | undefined, timeoutMs: number | undefined): { deadline: number; until: 'timeout' | 'expiry' } {
  const timeout = timeoutMs !== undefined ? started + timeoutMs : undefined;
  if (timeout !== undefined && (expiry === undefined || timeout < expiry)) return { deadline: timeout, until: 'timeout' };
  if (expiry !== undefined) return { deadline: expiry, until: 'expiry' };
  return { deadline: started + DEFAULT_WAIT_MS, until: 'timeout' };
}



/** Waits (at most `boundMs`) until the answer to `delivery` has left the listener and then the tunnel. */
async function answerPassedOn(listener: ListenerHandle, delivery: Delivery, tunnel: PublicUrl, boundMs: number): Promise<void> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([listener.answered(delivery), new Promise<void>((resolve) => { timer = setTimeout(resolve, boundMs); })]);
  clearTimeout(timer);
  await tunnel.flush?.(Math.max(0, boundMs - (Date.now() - started)));
}
