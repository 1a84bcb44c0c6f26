import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { SendtalkVerifyError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../fields.js';
import { quoteBigIntegers } from '../json-big-integers.js';
import { REDACTED } from '../mask.js';
import { requestMasker, type RequestMasker } from './mask-request.js';
import { extractDeliveryFacts, type DeliveryFacts } from './match.js';
import { configuredSecret, describeSecretHeaders, describeSecretLocation, locateSecret, requestSecretChecker, secretHeadersFor, type SecretLocation } from './secret.js';

export interface ListenerOptions {
  /** Interface to bind. Anything but loopback exposes the listener to the network. @default '127.0.0.1' */
  host?: string;
  /** Port to bind; 0 picks a free one. @default 0 */
  port?: number;
  /** The only path that accepts deliveries. @default '/webhook' */
  path?: string;
  /**
   * The webhook secret from SendTalk's Verification Config. Without it (or when empty), deliveries
   * are accepted unchecked.
   */
  secret?: string;
  /**
   * The one header that carries the secret. Unset, the secret is accepted in `X-Secret-Key` or in
   * `Secret-Key` (see `ACCEPTED_SECRET_HEADERS`). @default undefined
   */
  secretHeader?: string;
  /** Largest body accepted, in bytes. @default 65_536 */
  maxBodyBytes?: number;
  /**
   * Awaited before an accepted delivery is answered 200, so that whatever it does (writing a log,
   * forwarding) is done before SendTalk is told the delivery arrived. If it throws, the delivery is
   * answered 503 (try again later) and SendTalk may retry.
   */
  beforeAcknowledge?: (delivery: Delivery) => Promise<void> | void;
  /** Called for every request, accepted or refused, after it has been answered. */
  onDelivery?: (delivery: Delivery) => void;
  /**
   * A per-run token. A request to the listener's path carrying it in the `X-Sendtalk-Verify-Probe`
   * header is answered 200 with the token echoed, and is not a delivery: it lets the CLI check that
   * the public URL really reaches this listener (and not someone else's) before waiting on it.
   */
  probeToken?: string;
  /**
   * Keep track of each accepted delivery's answer, for `answered` (a tunnel that must pass the 200
   * on before it closes). Off, `answered` resolves at once: under load the bookkeeping would cost
   * every delivery. @default false
   */
  trackAnswers?: boolean;
  /** How many accepted deliveries `accepted` and `waitFor` remember. @default 100 */
  keepAccepted?: number;
  /** Overrides of the server limits (tests use short timeouts). @default LISTENER_LIMITS */
  limits?: Partial<ListenerLimits>;
}

/** Header of the end-to-end probe request; see `ListenerOptions.probeToken`. */
export const PROBE_HEADER = 'X-Sendtalk-Verify-Probe';

export type RefusalReason =
  | 'not-found'
  | 'method-not-allowed'
  | 'secret-missing'
  | 'secret-mismatch'
  | 'unsupported-media-type'
  | 'too-large'
  | 'not-json'
  | 'not-object'
  | 'too-deep'
  | 'too-many-headers'
  | 'acknowledge-failed';

export interface Delivery extends DeliveryFacts {
  /** Sequence number within this listener, from 1. */
  seq: number;
  receivedAt: string;
  method: string;
  /** Path and query as requested. */
  path: string;
  accepted: boolean;
  /** HTTP status the listener answered. */
  status: number;
  reason?: RefusalReason;
  /** One sentence on why it was refused, never containing a secret. */
  detail?: string;
  /** `ok` when the secret matched, `skipped` when no secret is configured. */
  secretCheck?: 'ok' | 'skipped';
  /**
   * For a delivery refused as `secret-missing`: where the secret did come (another header, an
   * `Authorization: Bearer` token, the query string), by name only.
   */
  secretLocation?: SecretLocation;
  /** Request headers with the secret header masked. */
  headers: Record<string, string>;
  /** The raw body bytes as received (empty when refused before reading). */
  body: Buffer;
  /** The parsed JSON object, for accepted deliveries. */
  payload?: JsonObject;
}

export interface ListenerHandle {
  /** Local URL including the path, e.g. `http://127.0.0.1:53122/webhook`. */
  url: string;
  host: string;
  port: number;
  path: string;
  server: Server;
  /** Accepted deliveries so far (the latest `keepAccepted`). */
  readonly accepted: readonly Delivery[];
  /**
   * Resolves with the first accepted delivery (past or future) for which `predicate` is true.
   * Rejects when `signal` aborts.
   */
  waitFor(predicate: (delivery: Delivery) => boolean, signal?: AbortSignal): Promise<Delivery>;
  /**
   * Resolves once the answer to an accepted delivery has been handed to the operating system (or
   * its connection has ended): what a tunnel must pass on before it may close. Needs `trackAnswers`.
   */
  answered(delivery: Delivery): Promise<void>;
  /** Stops accepting, ends idle connections and resolves when the port is free. Safe to call twice. */
  close(): Promise<void>;
}

const REFUSAL_TEXT: Record<RefusalReason, string> = {
  'not-found': 'not found',
  'method-not-allowed': 'method not allowed',
  'secret-missing': 'secret key is missing',
  'secret-mismatch': 'secret key is invalid',
  'unsupported-media-type': 'body must be JSON',
  'too-large': 'body too large',
  'not-json': 'body is not valid JSON',
  'not-object': 'body must be a JSON object',
  'too-deep': 'body is nested too deeply',
  'too-many-headers': 'too many headers',
  'acknowledge-failed': 'could not record the delivery',
};

export interface ListenerLimits {
  /** Time allowed to send all request headers; then 408 and the connection is closed. */
  headersTimeoutMs: number;
  /** Time allowed for the whole request, body included; then 408 and the connection is closed. */
  requestTimeoutMs: number;
  /** How often Node checks the two time-outs above (its default, 30 s, would let them overrun). */
  checkIntervalMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /** Concurrent connections; further ones are closed at once. */
  maxConnections: number;
  /** Request headers allowed; a request with more is refused with 431 (Node would silently drop the rest). */
  maxHeadersCount: number;
  /** Total size of the request head; larger gets 431 from Node's parser. */
  maxHeaderBytes: number;
  /** Nesting of arrays and objects in the body; deeper is refused with 400 before parsing. */
  maxJsonDepth: number;
  /**
   * Most of a refused body that is drained: above this declared length the connection is closed at
   * once, and a body without a declared length (chunked) is read up to it, then the connection is cut.
   */
  maxDrainBytes: number;
  /** Refusals one connection may collect; the one that reaches it closes the connection. */
  maxRefusalsPerConnection: number;
}

/** Server limits, set on purpose: slow, stuck or abusive clients must not hold the listener. */
export const LISTENER_LIMITS: Readonly<ListenerLimits> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  checkIntervalMs: 1_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 512,
  maxHeadersCount: 100,
  maxHeaderBytes: 16 * 1024,
  maxJsonDepth: 64,
  maxDrainBytes: 16 * 1024 * 1024,
  maxRefusalsPerConnection: 3,
};

/** Starts the webhook listener. Resolves once it is bound; the handle's `url` is the local one. */
export async function startListener(options: ListenerOptions = {}): Promise<ListenerHandle> {
  const host = options.host ?? '127.0.0.1';
  const path = normalisePath(options.path ?? '/webhook');
  const secret = configuredSecret(options.secret);
  const secretHeaders = secretHeadersFor(options.secretHeader);
  const maskAlways = new Set(secretHeaders.map((name) => name.toLowerCase()));
  const maxBody = options.maxBodyBytes ?? 65_536;
  const accepted: Delivery[] = [];
  const waiters = new Set<{ predicate: (d: Delivery) => boolean; resolve: (d: Delivery) => void }>();
  let seq = 0;

  const limits: ListenerLimits = { ...LISTENER_LIMITS, ...options.limits };
  const keepAccepted = options.keepAccepted ?? 100;
  // Hashed once: each request then costs one hash, not two.
  const matchesSecret = secret === undefined ? undefined : requestSecretChecker(secret, secretHeaders);
  const expectedHeaders = describeSecretHeaders(secretHeaders);
  // The secret by value, in every form it may take, wherever the request is recorded.
  const masker = requestMasker(secret);

  const server = createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
  }, (req, res) => {
    try {
      handle(req, res);
    } catch {
      internalError(res);
    }
  });
  makeRoomAtTheCap(server, limits.maxConnections);
  // One more than the limit, so that a request over it can be seen and refused rather than cut.
  server.maxHeadersCount = limits.maxHeadersCount + 1;
  // CONNECT is never a webhook; without this handler Node would just drop the socket.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nAllow: POST\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  // Every request runs through plain callbacks, with no promise unless `beforeAcknowledge` is
  // given: the listener is on the hot path of `listen` under load, and each await costs a turn.
  function handle(req: IncomingMessage, res: ServerResponse): void {
    if (isProbe(req, path, options.probeToken)) {
      // Answered before anything is counted: a probe is neither a delivery nor a refusal. It has no
      // body to speak of, so the connection stays open (through a tunnel, closing it costs a reconnect).
      req.resume();
      return respond(res, 200, { ok: true, probe: options.probeToken! }, false);
    }
    const delivery: Delivery = {
      seq: ++seq,
      receivedAt: nowIso(),
      method: req.method ?? 'GET',
      path: masker ? masker.path(req.url ?? '/') : req.url ?? '/',
      accepted: false,
      status: 0,
      headers: maskedHeaders(req, maskAlways, masker),
      body: EMPTY_BODY,
    };
    const refusal = checkHead(req, delivery);
    if (refusal) return refuse(req, res, delivery, refusal);
    readBody(req, maxBody, (body) => {
      try {
        if (body === 'aborted') return; // the client went away; nothing to answer
        if (body === 'too-large') return refuse(req, res, delivery, [413, 'too-large', `body is over the ${maxBody}-byte limit`]);
        delivery.body = body;
        const parsed = parseBody(body);
        if (Array.isArray(parsed)) return refuse(req, res, delivery, parsed);
        accept(res, delivery, parsed);
      } catch {
        internalError(res);
      }
    });
  }

  /** What can be refused from the request head alone, before any of the body is read. */
  function checkHead(req: IncomingMessage, delivery: Delivery): Refusal | undefined {
    if (req.rawHeaders.length / 2 > limits.maxHeadersCount) {
      return [431, 'too-many-headers', `more than ${limits.maxHeadersCount} headers`];
    }
    const requestPath = (req.url ?? '/').split('?')[0]!;
    if (requestPath !== path) return [404, 'not-found', `nothing listens at ${truncate(masker ? masker.path(requestPath) : requestPath, 80)}; deliveries go to ${path}`];
    if (req.method !== 'POST') return [405, 'method-not-allowed', `${req.method} is not allowed; SendTalk delivers with POST`, { allow: 'POST' }];
    if (matchesSecret) {
      const verdict = matchesSecret(req.headers);
      if (verdict === 'missing') return [401, 'secret-missing', missingSecretDetail(req, delivery)];
      if (verdict === 'mismatch') return [401, 'secret-mismatch', `the ${expectedHeaders} header does not match the configured secret`];
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
  function missingSecretDetail(req: IncomingMessage, delivery: Delivery): string {
    const location = locateSecret(req.rawHeaders, req.url ?? '/', secret!);
    if (location) {
      delivery.secretLocation = location;
      return `no ${expectedHeaders} header; ${describeSecretLocation(location)}`;
    }
    const names = [...new Set(req.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase()))];
    const shown = names.slice(0, 20).map((name) => truncate(name, 40)).join(', ');
    return `no ${expectedHeaders} header (headers that came: ${shown || 'none'}${names.length > 20 ? ', …' : ''})`;
  }

  /** The body as a JSON object, or why it is not one. */
  function parseBody(body: Buffer): JsonObject | Refusal {
    let text: string;
    try {
      // Fatal decoding: invalid UTF-8 must not be "repaired" into a valid-looking payload.
      text = UTF8.decode(body);
    } catch {
      return [400, 'not-json', 'the body is not valid UTF-8'];
    }
    const scan = scanJson(text, limits.maxJsonDepth);
    if (scan & TOO_DEEP) {
      return [400, 'too-deep', `the body nests more than ${limits.maxJsonDepth} levels`];
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

  function accept(res: ServerResponse, delivery: Delivery, payload: JsonObject): void {
    delivery.accepted = true;
    delivery.status = 200;
    delivery.secretCheck = matchesSecret ? 'ok' : 'skipped';
    delivery.payload = payload;
    const facts = extractDeliveryFacts(payload);
    if (facts.verificationId !== undefined) delivery.verificationId = facts.verificationId;
    if (facts.phone !== undefined) delivery.phone = facts.phone;
    if (facts.payloadStatus !== undefined) {
      delivery.payloadStatus = facts.payloadStatus;
      delivery.payloadStatusFrom = facts.payloadStatusFrom;
    }
    const acknowledge = (): void => {
      if (answers) answers.set(delivery, res);
      respond(res, 200, ACCEPTED_BODY, false);
      remember(delivery);
      options.onDelivery?.(delivery);
    };
    const before = options.beforeAcknowledge;
    if (!before) return acknowledge();
    new Promise<void>((resolve) => resolve(before(delivery))).then(acknowledge, (error: Error) => {
      delivery.accepted = false;
      refuse(undefined, res, delivery, [503, 'acknowledge-failed', `could not record it: ${error?.message ?? String(error)}`]);
    }).catch(() => internalError(res));
  }

  function refuse(req: IncomingMessage | undefined, res: ServerResponse, delivery: Delivery, [status, reason, detail, extraHeaders]: Refusal): void {
    delivery.status = status;
    delivery.reason = reason;
    delivery.detail = detail;
    // A refused request may still be sending its body. Closing at once would make the client's
    // next write fail with a reset that can overtake our answer, so Node drains the rest (bounded by
    // requestTimeoutMs) and the client reads the 4xx; only absurd declared lengths are cut.
    const declared = Number(req?.headers['content-length']);
    const cut = req !== undefined && !req.complete && Number.isFinite(declared) && declared > limits.maxDrainBytes;
    // A connection that keeps sending what is refused (a scanner, a flood) is not kept alive for it.
    const socket = res.socket;
    const refusals = socket ? (refusalsOn.get(socket) ?? 0) + 1 : 0;
    if (socket) refusalsOn.set(socket, refusals);
    respond(res, status, { error: REFUSAL_TEXT[reason], reason }, cut || refusals >= limits.maxRefusalsPerConnection, extraHeaders);
    if (req !== undefined && !req.complete && !cut) capDrain(req, limits.maxDrainBytes);
    options.onDelivery?.(delivery);
  }

  const refusalsOn = new WeakMap<object, number>();
  /** The answer of each accepted delivery, for `answered`; gone with the delivery. */
  const answers = options.trackAnswers ? new WeakMap<Delivery, ServerResponse>() : undefined;

  function remember(delivery: Delivery): void {
    if (keepAccepted > 0) {
      accepted.push(delivery);
      if (accepted.length > keepAccepted) accepted.shift();
    }
    for (const waiter of waiters) {
      if (waiter.predicate(delivery)) {
        waiters.delete(waiter);
        waiter.resolve(delivery);
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    throw listenError(error, host, options.port ?? 0);
  });

  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`,
    host,
    port,
    path,
    server,
    accepted,
    waitFor(predicate, signal) {
      const past = accepted.find(predicate);
      if (past) return Promise.resolve(past);
      return new Promise<Delivery>((resolve, reject) => {
        const waiter = { predicate, resolve: (d: Delivery) => { signal?.removeEventListener('abort', onAbort); resolve(d); } };
        const onAbort = (): void => {
          waiters.delete(waiter);
          reject(signal?.reason ?? new Error('aborted'));
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.add(waiter);
      });
    },
    answered(delivery) {
      const res = answers?.get(delivery);
      if (!res || res.writableFinished || res.destroyed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        res.once('finish', () => resolve());
        res.once('close', () => resolve());
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Connections in the middle of a request get a moment to finish, then are cut.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
      return closing;
    },
  };
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): SendtalkVerifyError {
  if (error.code === 'EADDRINUSE') {
    return new SendtalkVerifyError('usage', `Port ${port} on ${host} is already in use.`, { hint: 'Pass another --port, or omit it to pick a free one.' });
  }
  if (error.code === 'EACCES') {
    return new SendtalkVerifyError('usage', `Not allowed to listen on port ${port}.`, { hint: 'Use a port above 1023 with --port.' });
  }
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
    return new SendtalkVerifyError('usage', `Cannot listen on ${host}: no such local address.`, { hint: 'Pass --host 127.0.0.1, or an address of this machine.' });
  }
  return new SendtalkVerifyError('internal', `Could not start the webhook listener: ${error.message}`, { cause: error });
}

function isProbe(req: IncomingMessage, path: string, token: string | undefined): boolean {
  if (token === undefined || token === '') return false;
  return req.headers[PROBE_HEADER.toLowerCase()] === token && (req.url ?? '/').split('?')[0] === path;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const EMPTY_BODY = Buffer.alloc(0);

/** A refusal: status, reason, the sentence on why, and any header the answer needs. */
type Refusal = [status: number, reason: RefusalReason, detail: string, extraHeaders?: Record<string, string>];

/** `application/json`, `application/<anything>+json`, with or without parameters. */
function isJsonContentType(contentType: string): boolean {
  return /^application\/([\w.-]+\+)?json\s*(;|$)/.test(contentType);
}

/**
 * True when arrays/objects nest deeper than `max`. A linear scan before JSON.parse, so a body of
 * 60 KB of brackets costs microseconds and never reaches a recursive consumer.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  return (scanJson(text, max) & TOO_DEEP) !== 0;
}

/** `scanJson` flags: nested deeper than allowed; an integer of 16 digits or more outside strings. */
const TOO_DEEP = 1;
const LONG_INTEGER = 2;

/**
 * One linear pass over the body before it is parsed: how deep it nests (stops at `max`), and
 * whether it holds an integer too long to stay exact as a number (then parsed keeping it as a
 * string, see json-big-integers.ts) — one pass, so a delivery pays for one scan, not two.
 */
function scanJson(text: string, max: number): number {
  let depth = 0;
  let inString = false;
  let digits = 0;
  let found = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch >= 0x30 && ch <= 0x39) {
      if (++digits >= 16) found = LONG_INTEGER;
    } else {
      digits = 0;
      if (ch === 0x22) inString = true;
      else if (ch === 0x5b || ch === 0x7b) {
        if (++depth > max) return found | TOO_DEEP;
      } else if (ch === 0x5d || ch === 0x7d) depth--;
    }
  }
  return found;
}

function normalisePath(path: string): string {
  const withSlash = path.startsWith('/') ? path : `/${path}`;
  return withSlash.length > 1 ? withSlash.replace(/\/+$/, '') : withSlash;
}

/** Reads the whole body, up to `limit` bytes, and calls `done` once. */
function readBody(req: IncomingMessage, limit: number, done: (body: Buffer | 'too-large' | 'aborted') => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const settle = (value: Buffer | 'too-large' | 'aborted'): void => {
    if (settled) return;
    settled = true;
    done(value);
  };
  req.on('data', (chunk: Buffer) => {
    if (settled) return; // past the limit: the rest is read and dropped
    size += chunk.length;
    if (size > limit) {
      chunks.length = 0;
      return settle('too-large');
    }
    chunks.push(chunk);
  });
  req.on('end', () => settle(Buffer.concat(chunks, size)));
  req.on('error', () => settle('aborted'));
  req.on('close', () => settle(req.complete ? Buffer.concat(chunks, size) : 'aborted'));
}

/**
 * Reads and drops the rest of a refused body, up to `max` bytes, then cuts the connection. The
 * declared-length check catches big uploads up front; this catches the ones that declare nothing
 * (chunked), which Node would otherwise drain for as long as they keep coming.
 */
function capDrain(req: IncomingMessage, max: number): void {
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > max) req.socket.destroy();
  });
}

/**
 * Node's `maxConnections` drops every new connection once the cap is reached, so idle keep-alive
 * connections (a flood of them, each sending a request now and then) could lock a real delivery
 * out for good. Instead, at the cap, the oldest idle connections (between requests) are closed —
 * an eighth of the cap at a time, so a flood does not cost a scan per connection — and the new one
 * is kept; a real sender whose idle connection is closed just opens another. Only when every
 * connection is busy with a request is the new one dropped.
 */
function makeRoomAtTheCap(server: Server, max: number): void {
  /** Open connections, oldest first. */
  const open = new Set<Duplex>();
  server.on('connection', (socket: Duplex) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    if (open.size <= max) return;
    let freed = 0;
    const batch = Math.max(1, Math.floor(max / 8));
    for (const other of open) {
      if (freed >= batch) break;
      if (other === socket || other.destroyed || inRequest(other)) continue;
      other.destroy();
      open.delete(other);
      freed++;
    }
    if (freed === 0) {
      open.delete(socket);
      socket.destroy();
    }
  });
}

/**
 * True while the connection is in the middle of a request: node:http sets the answer being
 * written as the socket's `_httpMessage` (its own closeIdleConnections reads it the same way),
 * which costs nothing per request, unlike a listener of our own.
 */
function inRequest(socket: Duplex): boolean {
  const answer = (socket as Duplex & { _httpMessage?: { finished?: boolean } | null })._httpMessage;
  return Boolean(answer) && !answer!.finished;
}

/** The last resort of a request that threw: a 500 if nothing was answered yet. */
function internalError(res: ServerResponse): void {
  if (!res.headersSent) respond(res, 500, { error: 'internal error' }, true);
}

function respond(res: ServerResponse, status: number, body: JsonObject | string, closeConnection: boolean, extra?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  // Headers as a flat list: cheaper for Node than an object, on the path every delivery takes.
  const headers = ['content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(text))];
  if (closeConnection) headers.push('connection', 'close');
  if (extra) for (const name in extra) headers.push(name, extra[name]!);
  res.writeHead(status, headers);
  res.end(text);
}

/** The answer to an accepted delivery, serialised once. */
const ACCEPTED_BODY = JSON.stringify({ ok: true });

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

/** Headers that carry credentials whatever the configuration says. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'api-key']);

/**
 * The request's headers fit to print or log. The secret headers are masked whole (even a wrong secret
 * may be the right one with a typo), and so is any other header that carries the configured secret
 * (a sender using another header name) or a credential.
 */
function maskedHeaders(req: IncomingMessage, secretHeaders: ReadonlySet<string>, masker: RequestMasker | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const headers = req.headers;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    const sensitive = secretHeaders.has(name) || CREDENTIAL_HEADERS.has(name) || (masker !== undefined && masker.carriesSecret(text));
    out[name] = sensitive ? REDACTED : truncate(text, 512);
  }
  return out;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
