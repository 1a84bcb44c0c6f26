import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CREATE_PATH } from '../client/create-verification.js';
import { SendtalkVerifyError } from '../errors.js';
import { DEFAULT_SECRET_HEADER } from '../webhook/secret.js';
import { CONTROL_PREFIX, handleControl, type ControlContext } from './control-api.js';
import { controlRefusal } from './control-guard.js';
import { deliverWithRetries, isDelivered, type WebhookAttempt, type WebhookTarget } from './deliver-webhook.js';
import { errorEnvelope, successEnvelope, type Envelope } from './envelope.js';
import { answerWithFault, type Answered } from './fault-response.js';
import { FaultQueue, type FaultType } from './faults.js';
import { header, parseJson, readBody, sendJson } from './http.js';
import { verificationMessage, waMeLink } from './messages.js';
import { verifiedPayload } from './payload.js';
import { createAnswerData, DEFAULT_SHAPE, parseShape, type EmulatorShape } from './shapes.js';
import type { EmulatedVerification, EmulatorEvent, EmulatorHandle, EmulatorOptions, WebhookDelivery } from './types.js';
import { PARAM_ERROR_CODE, validateApiKey, validateCreateRequest, type CreateRequest } from './validate.js';

export type { EmulatorOptions, EmulatorEvent, EmulatorHandle, EmulatedVerification, WebhookDelivery, WebhookState } from './types.js';
export { verifiedPayload, type VerifiedEventFacts } from './payload.js';

/** How a request was answered, as the request log tells it. */
type RequestOutcome = Answered & { verificationId?: string; fault?: FaultType };

/** Webhook deliveries kept for the control API; older ones are dropped. */
const KEPT_DELIVERIES = 1000;

/** Starts a SendTalk-compatible API server on loopback, for `--sandbox`, tests and other projects' suites. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? 0;
  const businessNumber = options.businessNumber ?? '6281100000000';
  const autoVerifyMs = options.autoVerifyMs ?? 2000;
  const policy = {
    attempts: Math.max(1, options.webhookAttempts ?? 3),
    timeoutMs: options.webhookTimeoutMs ?? 5000,
    backoffMs: options.webhookBackoffMs ?? 250,
  };
  const target: WebhookTarget = {
    url: options.webhookUrl ?? '',
    secret: options.secret,
    secretHeader: options.secretHeader ?? DEFAULT_SECRET_HEADER,
  };
  const shape: EmulatorShape = { ...DEFAULT_SHAPE };
  setShape(options.shape ?? {});
  const emit = (event: EmulatorEvent): void => options.onEvent?.(event);
  const verifications = new Map<string, EmulatedVerification>();
  const webhooks: WebhookDelivery[] = [];
  /** The latest delivery of each verification: only it may set the verification's webhook state. */
  const latestDelivery = new Map<string, WebhookDelivery>();
  const autoVerifyTimers = new Map<string, NodeJS.Timeout>();
  const faults = new FaultQueue();
  for (const { count, ...fault } of options.faults ?? []) faults.add(fault, count);
  const timers = new Set<NodeJS.Timeout>();
  // Aborted on close: ends in-flight webhook attempts and every pending wait.
  const stop = new AbortController();
  let webhookSeq = 0;

  const later = (ms: number, fn: () => void): NodeJS.Timeout => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stop.signal.aborted) fn();
    }, ms);
    timers.add(timer);
    return timer;
  };
  /** Resolves true after `ms`, or false as soon as the emulator closes. */
  const pause = (ms: number): Promise<boolean> => new Promise((resolve) => {
    if (stop.signal.aborted) return resolve(false);
    const onStop = (): void => resolve(false);
    stop.signal.addEventListener('abort', onStop, { once: true });
    later(ms, () => {
      stop.signal.removeEventListener('abort', onStop);
      resolve(true);
    });
  });

  async function deliver(v: EmulatedVerification): Promise<WebhookAttempt | undefined> {
    if (!target.url) return undefined;
    // Retries go where the first attempt went, even if setWebhook points elsewhere meanwhile.
    const to: WebhookTarget = { ...target };
    const delivery: WebhookDelivery = { seq: ++webhookSeq, verificationId: v.id, url: to.url, state: 'delivering', startedAt: new Date().toISOString(), attempts: [] };
    webhooks.push(delivery);
    if (webhooks.length > KEPT_DELIVERIES) webhooks.shift();
    latestDelivery.set(v.id, delivery);
    v.webhookState = 'delivering';
    const payload = verifiedPayload(v, { wrapped: shape.webhook === 'wrapped', status: shape.webhookStatus });
    const last = await deliverWithRetries(to, JSON.stringify(payload), { ...policy, pause, signal: stop.signal }, (attempt, final) => {
      delivery.attempts.push(attempt);
      v.webhookAttempts.push(attempt);
      emit({ type: 'webhook', id: v.id, url: to.url, attempt, delivered: isDelivered(attempt), final, attempts: policy.attempts });
    });
    delivery.state = last && isDelivered(last) ? 'delivered' : 'failed';
    delivery.finishedAt = new Date().toISOString();
    if (latestDelivery.get(v.id) === delivery) v.webhookState = delivery.state;
    return last;
  }

  async function verify(id: string): Promise<WebhookAttempt | undefined> {
    const v = verifications.get(id);
    if (!v) throw new SendtalkVerifyError('usage', `The emulator has no verification ${id}.`);
    // A verification verified by hand must not be delivered a second time by its auto-verify timer.
    const timer = autoVerifyTimers.get(id);
    if (timer) {
      clearTimeout(timer);
      timers.delete(timer);
      autoVerifyTimers.delete(id);
    }
    if (v.status !== 'verified') {
      v.status = 'verified';
      v.verifiedAt = new Date().toISOString();
    }
    return deliver(v);
  }

  /** A pending verification past its expiry is expired; computed when read, so no timer per verification. */
  function current(v: EmulatedVerification): EmulatedVerification {
    if (v.status === 'pending' && Date.parse(v.expiresAt) <= Date.now()) v.status = 'expired';
    return v;
  }

  function create(request: CreateRequest): EmulatedVerification {
    const code = String(randomInt(100_000, 1_000_000));
    const id = randomUUID();
    const message = verificationMessage(request.languageCode, code, request.appURL);
    const now = Date.now();
    const v: EmulatedVerification = {
      id,
      phone: request.userPhone,
      languageCode: request.languageCode,
      appURL: request.appURL,
      code,
      link: waMeLink(businessNumber, message),
      message,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + (request.expiryMinutes ?? options.defaultExpiryMinutes ?? 10) * 60_000).toISOString(),
      status: 'pending',
      webhookAttempts: [],
    };
    verifications.set(id, v);
    emit({ type: 'created', verification: v });
    if (autoVerifyMs !== false) {
      autoVerifyTimers.set(id, later(autoVerifyMs, () => {
        autoVerifyTimers.delete(id);
        void verify(id);
      }));
    }
    return v;
  }

  /** The create endpoint, answered the SendTalk way: HTTP 200 and the outcome in the envelope. */
  async function handleCreate(req: IncomingMessage): Promise<{ httpStatus: number; envelope: Envelope; created?: EmulatedVerification }> {
    const keyError = validateApiKey(header(req, 'api-key'), options.apiKey);
    if (keyError) {
      req.resume();
      return { httpStatus: 200, envelope: keyError };
    }
    const raw = await readBody(req);
    if (raw === 'too-large') return { httpStatus: 413, envelope: errorEnvelope(413, PARAM_ERROR_CODE, 'Request body is too large', 'body') };
    const checked = validateCreateRequest(parseJson(raw));
    if ('status' in checked) return { httpStatus: 200, envelope: checked };
    const v = create(checked);
    const envelope = successEnvelope(createAnswerData(v, shape));
    return { httpStatus: 200, envelope, created: v };
  }

  /** Answers an API request: an injected fault first, else the emulated SendTalk API. */
  async function serveApi(req: IncomingMessage, res: ServerResponse, path: string): Promise<RequestOutcome | undefined> {
    const fault = faults.take();
    const delay = (options.latencyMs ?? 0) + (fault?.type === 'latency' ? fault.ms : 0);
    if (delay > 0 && !(await pause(delay))) return undefined; // closed while waiting
    if (fault && fault.type !== 'latency') {
      // Read the request first, as a server would before failing: the client has finished sending.
      await readBody(req);
      return { ...answerWithFault(res, fault), fault: fault.type };
    }
    const tag = fault ? { fault: fault.type } : {};
    if (path === CREATE_PATH || path === `${CREATE_PATH}/`) {
      if (req.method !== 'POST') {
        req.resume();
        const envelope = errorEnvelope(405, '40500', 'Method not allowed', '');
        sendJson(res, 405, envelope, { allow: 'POST' });
        return { httpStatus: 405, envelopeStatus: 405, error: envelope.error.message, ...tag };
      }
      const { httpStatus, envelope, created } = await handleCreate(req);
      sendJson(res, httpStatus, envelope);
      return { httpStatus, envelopeStatus: envelope.status, error: envelope.error.message || undefined, verificationId: created?.id, ...tag };
    }
    req.resume();
    sendJson(res, 404, errorEnvelope(404, '40400', 'Not found', ''));
    return { httpStatus: 404, envelopeStatus: 404, error: `nothing at ${path}`, ...tag };
  }

  const control: ControlContext = {
    listVerifications: () => [...verifications.values()].map(current),
    getVerification: (id) => {
      const v = verifications.get(id);
      return v && current(v);
    },
    verify,
    webhooks: () => webhooks,
    faults: () => faults.list,
    injectFault: (fault, count) => faults.add(fault, count),
    clearFaults: () => faults.clear(),
    webhookTarget: () => ({ url: target.url || null, secretHeader: target.secretHeader, secretSet: target.secret !== undefined }),
    setWebhook,
    shape: () => ({ ...shape }),
    setShape,
    reset,
    goOffline: (ms) => goOffline(ms),
  };

  /** Validated like the control API's body: a bad value is a usage error, not a silently odd answer. */
  function setShape(next: Partial<EmulatorShape>): void {
    const parsed = parseShape(next);
    if (typeof parsed === 'string') throw new SendtalkVerifyError('usage', `Bad emulator shape: ${parsed}.`);
    Object.assign(shape, parsed);
  }

  function setWebhook(next: { url?: string; secret?: string; secretHeader?: string }): void {
    if (next.url !== undefined) target.url = next.url;
    if (next.secret !== undefined) target.secret = next.secret;
    if (next.secretHeader !== undefined) target.secretHeader = next.secretHeader;
  }

  function reset(): void {
    for (const timer of autoVerifyTimers.values()) {
      clearTimeout(timer);
      timers.delete(timer);
    }
    autoVerifyTimers.clear();
    verifications.clear();
    latestDelivery.clear();
    webhooks.length = 0;
    faults.clear();
  }

  const server = createServer((req, response) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const log = (outcome: RequestOutcome): void => emit({ type: 'request', method, path, ...outcome, ms: Date.now() - started });
    (async () => {
      if (path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`)) {
        const answer = controlRefusal(req, host) ?? await handleControl(req, path, url.searchParams, control);
        sendJson(response, answer.status, answer.body);
        const error = typeof answer.body.error === 'string' ? answer.body.error : undefined;
        return log({ httpStatus: answer.status, error });
      }
      const answered = await serveApi(req, response, path);
      if (answered) log(answered);
    })().catch((error: Error) => {
      const envelope = errorEnvelope(500, '50000', error.message, '');
      sendJson(response, 500, envelope);
      log({ httpStatus: 500, envelopeStatus: 500, error: error.message });
    });
  });
  server.keepAliveTimeout = 2000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requestedPort, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    throw listenError(error, host, requestedPort);
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  let offline: { done: Promise<void>; back(): void } | undefined;

  /** Closes the listening socket (new connections are refused) and listens again after `ms`. */
  function goOffline(ms: number): Promise<void> {
    if (stop.signal.aborted) return Promise.resolve();
    if (offline) return offline.done;
    server.close();
    let back!: () => void;
    const done = new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const onStop = (): void => finish();
      const finish = (): void => {
        clearTimeout(timer);
        stop.signal.removeEventListener('abort', onStop);
        offline = undefined;
        resolve();
      };
      stop.signal.addEventListener('abort', onStop, { once: true });
      back = () => {
        if (offline?.done !== done || stop.signal.aborted) return;
        clearTimeout(timer);
        // If the port was taken meanwhile the emulator stays offline; either way the wait is over.
        const failed = (): void => finish();
        server.once('error', failed);
        server.listen(port, host, () => {
          server.off('error', failed);
          finish();
        });
      };
      timer = later(ms, () => back());
    });
    offline = { done, back };
    return done;
  }

  /** Ends `goOffline` early. */
  function goOnline(): Promise<void> {
    if (!offline) return Promise.resolve();
    const { done, back } = offline;
    back();
    return done;
  }

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    server,
    verifications,
    webhooks,
    get faults() {
      return faults.list;
    },
    verify,
    injectFault: (fault, count = 1) => faults.add(fault, count),
    clearFaults: () => faults.clear(),
    goOffline,
    goOnline,
    get offline() {
      return offline !== undefined;
    },
    reset,
    setWebhook,
    get shape() {
      return { ...shape };
    },
    setShape,
    close() {
      closing ??= new Promise<void>((resolve) => {
        stop.abort();
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        autoVerifyTimers.clear();
        server.close(() => resolve());
        // Hanging requests (the `hang` fault) and keep-alive sockets would hold the port open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): SendtalkVerifyError {
  switch (error.code) {
    case 'EADDRINUSE':
      return new SendtalkVerifyError('usage', `Port ${port} on ${host} is already in use.`, {
        hint: 'Pass another --port (0 picks a free one), or stop what is listening there.',
      });
    case 'EACCES':
      return new SendtalkVerifyError('usage', `Not allowed to listen on port ${port}.`, { hint: 'Use a port above 1023 with --port.' });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new SendtalkVerifyError('usage', `Cannot listen on ${host}: no such local address.`, { hint: 'Pass --host 127.0.0.1, or an address of this machine.' });
    default:
      return new SendtalkVerifyError('internal', `The emulator could not listen on ${host}:${port} (${error.code ?? error.message}).`, { cause: error });
  }
}

/** A fresh random credential for the sandbox, so nothing real is ever needed or leaked. */
export function randomCredential(prefix: string): string {
  return `${prefix}_${randomBytes(18).toString('base64url')}`;
}
