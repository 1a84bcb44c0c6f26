import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { isJsonObject, type JsonObject } from '../fields.js';
import { capDrain, readBody, sendJson } from '../http/server.js';
import { LONG_INTEGER, quoteBigIntegers, scanJson, TOO_DEEP } from '../json.js';
import { isCredentialHeader, REDACTED, requestMasker, type RequestMasker } from '../mask.js';
import { LISTENER_LIMITS, PROBE_HEADER, REFUSAL_TEXT, type Delivery, type ListenerLimits, type ListenerOptions, type Refusal } from './delivery.js';
import { extractDeliveryFacts } from './match.js';
import {
  configuredSecret,
  describeSecretHeaders,
  describeSecretLocation,
  locateSecret,
  requestSecretChecker,
  secretHeadersFor,
  type SecretVerdict,
} from './secret.js';

// The listener's request path: the state its requests share, then each request in the order it
// is taken: a probe, the checks on its head, its body read and parsed, then accepted or refused,
// what is recorded of it masked on the way.

const EMPTY_BODY = Buffer.alloc(0);

/**
 * The answer to an accepted delivery, serialised once: `success` as TapTalk's own webhook
 * endpoints answer, `ok` as this listener has always answered (scripts may read it).
 */
export const ACCEPTED_BODY = JSON.stringify({ success: true, ok: true });

/** The last resort of a request that threw: a 500 if nothing was answered yet. */
export function internalError(res: ServerResponse): void {
  if (!res.headersSent) sendJson(res, 500, { error: 'internal error' }, undefined, true);
}

/**
 * Everything one listener's requests share: its settings, worked out once when it starts, and what
 * it counts and remembers. The request path's functions take it explicitly.
 */
export interface ListenerState {
  readonly path: string;
  readonly probeToken: string | undefined;
  readonly limits: ListenerLimits;
  readonly maxBody: number;
  readonly secret: string | undefined;
  /** Hashed once: each request then costs one hash, not two. Undefined without a secret. */
  readonly matchesSecret: ((headers: IncomingHttpHeaders) => SecretVerdict) | undefined;
  /** The accepted secret header names, for messages. */
  readonly expectedHeaders: string;
  /** Lower-case names of the secret headers, masked whole in what is recorded. */
  readonly maskAlways: ReadonlySet<string>;
  /** The secret by value, in every form it may take, wherever the request is recorded. */
  readonly masker: RequestMasker | undefined;
  readonly beforeAcknowledge: ListenerOptions['beforeAcknowledge'];
  readonly onDelivery: ListenerOptions['onDelivery'];
  /** Sequence number of the last request counted. */
  seq: number;
  /** Refusals per connection, so that a connection that keeps collecting them is closed. */
  readonly refusalsOn: WeakMap<object, number>;
  /** The answer of each accepted delivery, for `answered`; gone with the delivery. */
  readonly answers: WeakMap<Delivery, ServerResponse> | undefined;
  readonly accepted: AcceptedDeliveries;
}

export function createListenerState(options: ListenerOptions): ListenerState {
  const secret = configuredSecret(options.secret);
  const secretHeaders = secretHeadersFor(options.secretHeader);
  return {
    path: normalisePath(options.path ?? '/webhook'),
    probeToken: options.probeToken,
    limits: { ...LISTENER_LIMITS, ...options.limits },
    maxBody: options.maxBodyBytes ?? 65_536,
    secret,
    matchesSecret: secret === undefined ? undefined : requestSecretChecker(secret, secretHeaders),
    expectedHeaders: describeSecretHeaders(secretHeaders),
    maskAlways: new Set(secretHeaders.map((name) => name.toLowerCase())),
    masker: requestMasker([secret, ...(options.alsoMask ?? [])]),
    beforeAcknowledge: options.beforeAcknowledge,
    onDelivery: options.onDelivery,
    seq: 0,
    refusalsOn: new WeakMap<object, number>(),
    // Off unless asked: under load the bookkeeping would cost every delivery.
    answers: options.trackAnswers ? new WeakMap<Delivery, ServerResponse>() : undefined,
    accepted: new AcceptedDeliveries(options.keepAccepted ?? 100),
  };
}

function normalisePath(path: string): string {
  const withSlash = path.startsWith('/') ? path : `/${path}`;
  return withSlash.length > 1 ? withSlash.replace(/\/+$/, '') : withSlash;
}

interface Waiter {
  predicate: (delivery: Delivery) => boolean;
  resolve: (delivery: Delivery) => void;
}

/**
 * The accepted deliveries a listener remembers (the latest `keep`), and the callers waiting for one
 * that matches. `list` is the array the handle exposes as `accepted`: it is updated in place.
 */
export class AcceptedDeliveries {
  readonly list: Delivery[] = [];
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly keep: number) {}

  /** Keeps the delivery (dropping the oldest past `keep`) and wakes every waiter it satisfies. */
  remember(delivery: Delivery): void {
    if (this.keep > 0) {
      this.list.push(delivery);
      if (this.list.length > this.keep) this.list.shift();
    }
    for (const waiter of this.waiters) {
      if (waiter.predicate(delivery)) {
        this.waiters.delete(waiter);
        waiter.resolve(delivery);
      }
    }
  }

  /** The first remembered or future delivery that `predicate` accepts; rejects when `signal` aborts. */
  waitFor(predicate: (delivery: Delivery) => boolean, signal?: AbortSignal): Promise<Delivery> {
    const past = this.list.find(predicate);
    if (past) return Promise.resolve(past);
    return new Promise<Delivery>((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (d) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(d);
        },
      };
      const onAbort = (): void => {
        this.waiters.delete(waiter);
        reject(signal?.reason ?? new Error('aborted'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }
}

// ─── One request ────────────────────────────────────────────────────────────────────────────

// Every request runs through plain callbacks, with no promise unless `beforeAcknowledge` is
// given: the listener is on the hot path of `listen` under load, and each await costs a turn.

/** Answers one request to the listener: a probe, a refusal, or an accepted delivery. */
export function handleRequest(state: ListenerState, req: IncomingMessage, res: ServerResponse): void {
  if (isProbe(req, state.path, state.probeToken)) {
    // Answered before anything is counted: a probe is neither a delivery nor a refusal. It has no
    // body to speak of, so the connection stays open (through a tunnel, closing it costs a reconnect).
    req.resume();
    return sendJson(res, 200, { ok: true, probe: state.probeToken! });
  }
  const masker = state.masker;
  const delivery: Delivery = {
    seq: ++state.seq,
    receivedAt: nowIso(),
    method: req.method ?? 'GET',
    path: masker ? masker.path(req.url ?? '/') : (req.url ?? '/'),
    accepted: false,
    status: 0,
    headers: maskedHeaders(req, state.maskAlways, masker),
    body: EMPTY_BODY,
  };
  const refusal = checkHead(state, req, delivery);
  if (refusal) return refuse(state, req, res, delivery, refusal);
  readBody(req, state.maxBody, (body) => onBody(state, req, res, delivery, body));
}

/** Goes on once the body is read (or is too large, or the client went away). */
function onBody(state: ListenerState, req: IncomingMessage, res: ServerResponse, delivery: Delivery, body: Buffer | 'too-large' | 'aborted'): void {
  try {
    if (body === 'aborted') return; // the client went away; nothing to answer
    if (body === 'too-large') return refuse(state, req, res, delivery, [413, 'too-large', `body is over the ${state.maxBody}-byte limit`]);
    delivery.body = body;
    const parsed = parseBody(body, state.limits.maxJsonDepth);
    if (Array.isArray(parsed)) return refuse(state, req, res, delivery, parsed);
    accept(state, res, delivery, parsed);
  } catch {
    internalError(res);
  }
}

/** Records what the delivery says, then answers 200 (after `beforeAcknowledge`, when given). */
function accept(state: ListenerState, res: ServerResponse, delivery: Delivery, payload: JsonObject): void {
  delivery.accepted = true;
  delivery.status = 200;
  delivery.secretCheck = state.matchesSecret ? 'ok' : 'skipped';
  delivery.payload = payload;
  const facts = extractDeliveryFacts(payload);
  if (facts.verificationId !== undefined) delivery.verificationId = facts.verificationId;
  if (facts.phone !== undefined) delivery.phone = facts.phone;
  if (facts.payloadStatus !== undefined) {
    delivery.payloadStatus = facts.payloadStatus;
    delivery.payloadStatusFrom = facts.payloadStatusFrom;
  }
  const before = state.beforeAcknowledge;
  if (!before) return acknowledge(state, res, delivery);
  new Promise<void>((resolve) => resolve(before(delivery)))
    .then(
      () => acknowledge(state, res, delivery),
      (error: Error) => {
        delivery.accepted = false;
        refuse(state, undefined, res, delivery, [503, 'acknowledge-failed', `could not record it: ${error?.message ?? String(error)}`]);
      },
    )
    .catch(() => internalError(res));
}

function acknowledge(state: ListenerState, res: ServerResponse, delivery: Delivery): void {
  if (state.answers) state.answers.set(delivery, res);
  sendJson(res, 200, ACCEPTED_BODY);
  state.accepted.remember(delivery);
  state.onDelivery?.(delivery);
}

function refuse(
  state: ListenerState,
  req: IncomingMessage | undefined,
  res: ServerResponse,
  delivery: Delivery,
  [status, reason, detail, extraHeaders]: Refusal,
): void {
  const limits = state.limits;
  delivery.status = status;
  delivery.reason = reason;
  delivery.detail = detail;
  // A refused request may still be sending its body. It is answered at once; closing before the
  // rest is read would make the client's next write fail with a reset that can overtake our
  // answer, so the rest is drained — at most maxDrainBytes or maxDrainMs, then the connection is
  // cut. A body that comes in time leaves the connection usable; a slow sender that is refused
  // cannot hold one of the tunnel's few connections for long.
  const incomplete = req !== undefined && !req.complete;
  const declared = Number(req?.headers['content-length']);
  const cut = incomplete && Number.isFinite(declared) && declared > limits.maxDrainBytes;
  // A connection that keeps sending what is refused (a scanner, a flood) is not kept alive for it.
  const socket = res.socket;
  const refusals = socket ? (state.refusalsOn.get(socket) ?? 0) + 1 : 0;
  if (socket) state.refusalsOn.set(socket, refusals);
  sendJson(res, status, { error: REFUSAL_TEXT[reason], reason }, extraHeaders, cut || refusals >= limits.maxRefusalsPerConnection);
  if (incomplete && !cut) capDrain(req, limits.maxDrainBytes, limits.maxDrainMs);
  state.onDelivery?.(delivery);
}

// ─── The checks on its head ─────────────────────────────────────────────────────────────────

/** True for the end-to-end probe of this listener (see `ListenerOptions.probeToken`). */
export function isProbe(req: IncomingMessage, path: string, token: string | undefined): boolean {
  if (token === undefined || token === '') return false;
  return req.headers[PROBE_HEADER.toLowerCase()] === token && (req.url ?? '/').split('?')[0] === path;
}

/** What can be refused from the request head alone, before any of the body is read. */
export function checkHead(state: ListenerState, req: IncomingMessage, delivery: Delivery): Refusal | undefined {
  const { limits, path, masker, maxBody } = state;
  if (req.rawHeaders.length / 2 > limits.maxHeadersCount) {
    return [431, 'too-many-headers', `more than ${limits.maxHeadersCount} headers`];
  }
  const requestPath = (req.url ?? '/').split('?')[0]!;
  if (requestPath !== path)
    return [404, 'not-found', `nothing listens at ${truncate(masker ? masker.path(requestPath) : requestPath, 80)}; deliveries go to ${path}`];
  if (req.method !== 'POST') return [405, 'method-not-allowed', `${req.method} is not allowed; SendTalk delivers with POST`, { allow: 'POST' }];
  if (state.matchesSecret) {
    const verdict = state.matchesSecret(req.headers);
    if (verdict === 'missing') return [401, 'secret-missing', missingSecretDetail(state, req, delivery)];
    if (verdict === 'mismatch') return [401, 'secret-mismatch', `the ${state.expectedHeaders} header does not match the configured secret`];
  }
  const contentType = (req.headers['content-type'] ?? '').toLowerCase().trim();
  // A missing type is tolerated (SendTalk's headers are unpublished); a declared non-JSON one is not.
  if (contentType !== '' && !isJsonContentType(contentType)) {
    return [415, 'unsupported-media-type', `content type ${truncate(contentType, 60)} is not JSON`];
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBody) {
    return [413, 'too-large', `body of ${declared} bytes is over the ${maxBody}-byte limit`];
  }
  return undefined;
}

/**
 * Why no secret was found, and where it did come when it came elsewhere: the name of that header
 * (or query parameter) and the flag that fixes it; else the names of the headers that came.
 * Only refused requests pay for this search.
 */
function missingSecretDetail(state: ListenerState, req: IncomingMessage, delivery: Delivery): string {
  const expectedHeaders = state.expectedHeaders;
  const location = locateSecret(req.rawHeaders, req.url ?? '/', state.secret!);
  if (location) {
    delivery.secretLocation = location;
    return `no ${expectedHeaders} header; ${describeSecretLocation(location)}`;
  }
  const names = [...new Set(req.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase()))];
  const shown = names
    .slice(0, 20)
    .map((name) => truncate(name, 40))
    .join(', ');
  return `no ${expectedHeaders} header (headers that came: ${shown || 'none'}${names.length > 20 ? ', …' : ''})`;
}

/** `application/json`, `application/<anything>+json`, with or without parameters. */
function isJsonContentType(contentType: string): boolean {
  return /^application\/([\w.-]+\+)?json\s*(;|$)/.test(contentType);
}

// ─── Its body ──────────────────────────────────────────────────────────────────────────────

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The body as a JSON object, or why it is not one. */
export function parseBody(body: Buffer, maxJsonDepth: number): JsonObject | Refusal {
  let text: string;
  try {
    // Fatal decoding: invalid UTF-8 must not be "repaired" into a valid-looking payload.
    text = UTF8.decode(body);
  } catch {
    return [400, 'not-json', 'the body is not valid UTF-8'];
  }
  const scan = scanJson(text, maxJsonDepth);
  if (scan & TOO_DEEP) {
    return [400, 'too-deep', `the body nests more than ${maxJsonDepth} levels`];
  }
  let payload: unknown;
  try {
    payload = scan & LONG_INTEGER ? JSON.parse(quoteBigIntegers(text)) : JSON.parse(text);
  } catch {
    return [400, 'not-json', body.length === 0 ? 'the body is empty' : 'the body is not valid JSON'];
  }
  if (isJsonObject(payload)) return payload;
  return [400, 'not-object', `the body is JSON ${Array.isArray(payload) ? 'array' : payload === null ? 'null' : typeof payload}, not an object`];
}

// ─── What is recorded of it ─────────────────────────────────────────────────────────────────

/**
 * The request's headers fit to print or log. The secret headers are masked whole (even a wrong secret
 * may be the right one with a typo), and so is any other header that carries the configured secret
 * (a sender using another header name) or whose name says it holds a credential (`isCredentialHeader`).
 */
export function maskedHeaders(req: IncomingMessage, secretHeaders: ReadonlySet<string>, masker: RequestMasker | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const headers = req.headers;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    const sensitive = secretHeaders.has(name) || isCredentialHeader(name) || (masker !== undefined && masker.carriesSecret(text));
    out[name] = sensitive ? REDACTED : truncate(text, 512);
  }
  return out;
}

/**
 * `new Date().toISOString()`, remembered for the millisecond it stands for: under load many
 * deliveries arrive within one, and formatting a date costs more than reading the clock.
 */
let lastNow = 0;
let lastIso = '';
function nowIso(): string {
  const now = Date.now();
  if (now !== lastNow) {
    lastNow = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

/** `text` cut to `max` characters with an ellipsis, so that what a client sends cannot flood a message or a log. */
function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
