import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { formatDuration } from '../duration.js';
import { SendtalkVerifyError } from '../errors.js';
import type { JsonObject } from '../fields.js';
import { maskSecret } from '../mask.js';
import { USER_AGENT } from '../version.js';
import { hostOf, httpUrl } from './url.js';

/*
 * The one outbound HTTP client: every request this tool sends (the SendTalk create call, `trigger`,
 * the tunnel's registration and probe, `--forward-to`, `doctor`, the emulator's webhooks) goes
 * through `runExchange`, on node:http.
 *
 * Why node:http and not undici (measured on Node 20.20, 2026-12-07, on a shared 2-core machine
 * under heavy load, so the times are comparisons, not absolutes):
 * - Package: undici's vendored Agent (dist/vendor/undici.cjs, 147 KB; 46.0 KB gzipped) and its
 *   parser (llhttp.wasm, 54 KB; 18.1 KB gzipped) were 64 KB of a 387.2 kB (378 KiB) tarball whose
 *   budget is 300 KiB; without them `npm pack` gives 322.7 kB. node:http ships nothing.
 * - Load: a fresh process loading the client and sending one POST to a loopback server took a
 *   median 147 ms with undici (fastest tenth 86 ms) against 64 ms with node:http (28 ms), 40 runs
 *   each, interleaved. `create --sandbox --json` end to end, 10 interleaved runs: median 1.64 s
 *   before, 1.28 s after (fastest 1.06 s, 0.81 s); its peak memory 59 MB before, 53 MB after
 *   (undici's WebAssembly compile, which also made the CLI set V8's `--liftoff-only`).
 * - Features: the create call needs a connect bound, an answer bound, a bound on the whole call,
 *   a size cap and retries: a few timers here. undici's pool, HTTP/2 and fetch were never used
 *   (every request opens its own connection, on purpose), and `trigger --check` needs raw control
 *   (byte-exact bodies, failure kinds for grading) that node:http gives directly.
 */

// ─── One exchange: an answer or a failure, never an exception ─────────────────────────────────

export interface OutgoingRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** Sent byte for byte; omitted for a GET. */
  body?: Buffer;
}

export interface ExchangeOptions {
  /** Bound on the whole exchange: connecting, sending, and reading the answer. @default 10_000 */
  timeoutMs?: number;
  /** Bound on opening the connection (TLS included). @default timeoutMs only */
  connectTimeoutMs?: number;
  /**
   * Bound on waiting for the answer's head once the request is sent, and then on each pause in
   * its body (a body that keeps trickling is bounded by `timeoutMs`). @default timeoutMs only
   */
  responseTimeoutMs?: number;
  /** Bytes of the answer's body kept. @default 4096 */
  keepBodyBytes?: number;
  /**
   * What happens past `keepBodyBytes`: `drop` reads the rest and drops it (the answer stands);
   * `stop` stops reading at once (a body declared larger is not read at all) and sets
   * `bodyFailure` to `too-large`. @default 'drop'
   */
  pastKeep?: 'drop' | 'stop';
  signal?: AbortSignal;
}

export type FailureKind = 'timeout' | 'refused' | 'reset' | 'dns' | 'tls' | 'aborted' | 'invalid-url' | 'too-large' | 'other';

/**
 * Why no answer (or no whole body) came. `message` is short and plain, fit for a table cell.
 * `code` is Node's error code, or for a bound of ours `CONNECT_TIMEOUT`, `HEADERS_TIMEOUT` or
 * `BODY_TIMEOUT` (none for the bound on the whole exchange).
 */
export interface ExchangeFailure {
  kind: FailureKind;
  code?: string;
  message: string;
}

/** What happened to one request: an answer, or a failure — never an exception. */
export interface HttpExchange {
  /** HTTP status, when an answer came. */
  status?: number;
  headers?: IncomingHttpHeaders;
  /** The first `keepBodyBytes` of the answer's body. */
  body: Buffer;
  /** The answer's body did not arrive in full (cut, or still coming at the time-out). */
  bodyIncomplete?: boolean;
  /** Why no answer came (set only when `status` is not). */
  failure?: ExchangeFailure;
  /** Why the body of an answer that came is incomplete, when something said so. */
  bodyFailure?: ExchangeFailure;
  /** Every byte of the request body was handed to the network before the exchange ended. */
  requestSent: boolean;
  ms: number;
}

/**
 * Sends one HTTP request and resolves with what happened. The time bound covers the whole
 * exchange (a server that trickles bytes cannot stretch it), and every failure is data, so a
 * caller grading an endpoint never has to tell its own crash from the endpoint's. The body is sent
 * as given (bytes unchanged), and `*.localhost` names resolve to loopback as RFC 6761 asks, so a
 * self-hosted localtunnel server on this machine works without editing /etc/hosts.
 */
export function runExchange(request: OutgoingRequest, options: ExchangeOptions = {}): Promise<HttpExchange> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const keep = options.keepBodyBytes ?? 4096;
  const stopPastKeep = options.pastKeep === 'stop';
  const started = Date.now();
  return new Promise((resolve) => {
    const url = httpUrl(request.url);
    if (!url)
      return resolve({ body: Buffer.alloc(0), requestSent: false, ms: 0, failure: { kind: 'invalid-url', message: `not an http(s) URL: ${request.url}` } });

    let settled = false;
    let requestSent = false;
    let response: IncomingMessage | undefined;
    const kept: Buffer[] = [];
    let keptBytes = 0;
    /** The connect, head or body-pause bound running now, if any. */
    let stageTimer: NodeJS.Timeout | undefined;

    const finish = (failure?: ExchangeFailure, bodyIncomplete = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(stageTimer);
      options.signal?.removeEventListener('abort', onAbort);
      const exchange: HttpExchange = { body: Buffer.concat(kept), requestSent, ms: Date.now() - started };
      if (response) {
        // An answer came: what failed afterwards (the body, the rest of our upload) does not undo it.
        exchange.status = response.statusCode;
        exchange.headers = response.headers;
        if (bodyIncomplete) exchange.bodyIncomplete = true;
        if (failure) exchange.bodyFailure = failure;
      } else if (failure) {
        exchange.failure = failure;
      }
      req.destroy();
      resolve(exchange);
    };
    const bound = (ms: number | undefined, code: string, message: string): void => {
      clearTimeout(stageTimer);
      stageTimer = ms === undefined ? undefined : setTimeout(() => finish({ kind: 'timeout', code, message }, true), ms);
    };

    const https = url.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = request.body.length;
    // A fresh connection per request: one case's broken connection never leaks into the next.
    let req: ReturnType<typeof send>;
    try {
      req = send(url, { method: request.method, headers, agent: false, lookup: lookupWithLocalhost });
    } catch (error) {
      // Node refuses an invalid header name or value before any byte is sent.
      return resolve({ body: Buffer.alloc(0), requestSent: false, ms: 0, failure: classify(error as NodeJS.ErrnoException) });
    }

    const timer = setTimeout(() => finish({ kind: 'timeout', message: `no answer within ${formatDuration(timeoutMs)}` }, true), timeoutMs);
    const onAbort = (): void => finish({ kind: 'aborted', message: 'interrupted' }, true);
    // Before any way out: a request cut by `finish` (an abort included) still emits its error.
    req.on('error', (error: NodeJS.ErrnoException) => finish(classify(error), true));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const { connectTimeoutMs, responseTimeoutMs } = options;
    bound(connectTimeoutMs, 'CONNECT_TIMEOUT', `no connection within ${formatDuration(connectTimeoutMs ?? 0)}`);
    req.on('socket', (socket) => {
      socket.once(https ? 'secureConnect' : 'connect', () => {
        // Connected: the connect bound is done (the head's bound starts once the request is sent).
        if (!requestSent) bound(undefined, '', '');
      });
    });
    req.on('finish', () => {
      requestSent = true;
      if (!response) bound(responseTimeoutMs, 'HEADERS_TIMEOUT', `no answer within ${formatDuration(responseTimeoutMs ?? 0)}`);
    });
    req.on('response', (res) => {
      response = res;
      const pause = (): void => bound(responseTimeoutMs, 'BODY_TIMEOUT', `the answer stopped for ${formatDuration(responseTimeoutMs ?? 0)}`);
      pause();
      const tooLarge = (): void => finish({ kind: 'too-large', message: `answer body over ${keep} bytes` }, true);
      if (stopPastKeep && Number(res.headers['content-length']) > keep) return tooLarge();
      res.on('data', (chunk: Buffer) => {
        pause();
        if (keptBytes + chunk.length > keep && stopPastKeep) return tooLarge();
        if (keptBytes < keep) {
          const part = chunk.subarray(0, keep - keptBytes);
          kept.push(part);
          keptBytes += part.length;
        }
      });
      res.on('end', () => finish());
      res.on('error', (error: NodeJS.ErrnoException) => finish(classify(error), true));
      res.on('close', () => finish(undefined, !res.complete));
    });
    req.end(request.body);
  });
}

function classify(error: NodeJS.ErrnoException): ExchangeFailure {
  const code = error.code;
  switch (code) {
    case 'ABORT_ERR':
      return { kind: 'aborted', code, message: 'interrupted' };
    case 'ECONNREFUSED':
      return { kind: 'refused', code, message: 'connection refused' };
    case 'ECONNRESET':
    case 'EPIPE':
      return { kind: 'reset', code, message: 'connection closed without an answer' };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { kind: 'dns', code, message: 'host name not found' };
    default:
      if (code && /CERT|TLS|SSL|SELF_SIGNED/.test(code)) return { kind: 'tls', code, message: `TLS error (${code})` };
      return { kind: 'other', code, message: code ? `${error.message} (${code})` : error.message };
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup, except that `localhost` subdomains are loopback without asking the resolver. */
function lookupWithLocalhost(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  if (/\.localhost\.?$/i.test(hostname)) {
    const v6 = options.family === 6 || options.family === 'IPv6';
    const address = v6 ? '::1' : '127.0.0.1';
    const family = v6 ? 6 : 4;
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
    return;
  }
  dnsLookup(hostname, options, callback as never);
}

// ─── An answer or an exception: the tunnel probe, the registration, `--forward-to`, `doctor` ──

export interface SendOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: Buffer | string;
  /** Bound on the whole exchange, connecting included. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Largest answer body kept; the rest is read and dropped. @default 65_536 */
  maxBodyBytes?: number;
}

export interface SendAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  ms: number;
}

/** Why a request got no answer, in words a user can act on. */
export class SendFailure extends Error {
  override readonly name = 'SendFailure';
  constructor(
    readonly code: string,
    message: string,
    readonly ms: number,
  ) {
    super(message);
  }
}

/** `runExchange` for callers that want an answer or an exception. */
export async function sendRequest(url: string, options: SendOptions): Promise<SendAnswer> {
  const headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k, String(v)]));
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const result = await runExchange(
    { url, method: options.method ?? 'GET', headers, body },
    { timeoutMs: options.timeoutMs, signal: options.signal, keepBodyBytes: options.maxBodyBytes ?? 65_536 },
  );
  if (result.status === undefined) {
    const failure = result.failure ?? { kind: 'other', message: 'no answer' };
    throw new SendFailure(failure.code ?? failure.kind, failure.message, result.ms);
  }
  return { status: result.status, headers: result.headers ?? {}, body: result.body, ms: result.ms };
}

// ─── The SendTalk create call: one JSON POST, bounded, retried only where that cannot send it twice ─

/** An HTTP answer read in full (within MAX_API_BODY_BYTES), and how many attempts it took. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  attempts: number;
}

/** How to reach the API: the key, the bounds, the retries. */
export interface PostJsonOptions {
  /** SendTalk API key, sent as the `API-Key` header. Never printed. */
  apiKey: string;
  /** Bound on connecting to the API. @default 10_000 */
  connectTimeoutMs?: number;
  /** Bound on waiting for the response headers and then its body. @default 15_000 */
  responseTimeoutMs?: number;
  /**
   * Bound on the whole call, every attempt and wait between them included: past it the call fails
   * saying what it waited for. @default 25_000
   */
  timeoutMs?: number;
  /** Extra attempts for failures that are safe to retry (connection refused, 429, 502/503/504). @default 2 */
  retries?: number;
  /** Cancels the request (Ctrl-C). */
  signal?: AbortSignal;
  /** Receives one line per HTTP exchange, secrets masked; for `--debug`. */
  onTrace?: (line: string) => void;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
/**
 * Connection errors raised before any byte of the request was accepted: safe to send again, and
 * quick to fail. A connect time-out is not among them: an address that swallows packets would
 * swallow the next attempts too, and three of them took half a minute.
 */
const RETRYABLE_CONNECT = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);
/** Default of `timeoutMs`: the whole call, retries included. */
export const DEFAULT_API_TIMEOUT_MS = 25_000;
/**
 * Most of an answer's body that is read. A create answer is a few KB (a QR code as a data URL
 * included); a server streaming without end must fail with a message, not fill the memory.
 */
export const MAX_API_BODY_BYTES = 1024 * 1024;
/**
 * Longest wait before a retry, Retry-After included. A server asking for more is not retried at
 * once: the error says when to try again instead (a CLI should not sit silent for minutes).
 */
export const MAX_RETRY_WAIT_MS = 10_000;

/**
 * POSTs `body` as JSON to `url` and returns the answer whatever its status, retrying what is safe to
 * send again (connection refused before anything was sent, 429/502/503/504) within the call's bound.
 * Network failures throw a categorised `SendtalkVerifyError`; reading the answer is the caller's job.
 */
export async function postJson(url: string, body: JsonObject, options: PostJsonOptions): Promise<HttpAnswer> {
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  const responseTimeout = options.responseTimeoutMs ?? 15_000;
  const trace = options.onTrace;
  const retries = Math.max(0, options.retries ?? 2);
  const payload = Buffer.from(JSON.stringify(body));
  const overallMs = options.timeoutMs ?? DEFAULT_API_TIMEOUT_MS;
  const deadline = Date.now() + overallMs;
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    const remaining = deadline - started;
    trace?.(`→ POST ${url} (API-Key: ${maskSecret(options.apiKey)}) ${payload}${attempt > 1 ? ` [attempt ${attempt} of ${retries + 1}]` : ''}`);
    try {
      new URL(url);
    } catch (error) {
      // Named as Node names it (ERR_INVALID_URL), not as the exchange's `invalid-url`.
      throw networkFailure({ kind: 'other', code: errorCode(error), message: (error as Error).message }, url, 'request', {
        connectMs: connectTimeout,
        responseMs: responseTimeout,
        attempt,
        cause: error,
      });
    }
    // One bound on the whole attempt, so that an answer trickling in byte by byte cannot stretch
    // it, and never past the bound of the whole call.
    const cutByDeadline = remaining < connectTimeout + responseTimeout;
    // Retried only while a wait and another try fit before the deadline (checked where it waits).
    const canRetry = attempt <= retries;
    const exchange = await runExchange(
      {
        url,
        method: 'POST',
        headers: { 'api-key': options.apiKey, 'content-type': 'application/json', 'user-agent': USER_AGENT, accept: 'application/json' },
        body: payload,
      },
      {
        timeoutMs: Math.max(1, Math.min(connectTimeout + responseTimeout, remaining)),
        connectTimeoutMs: connectTimeout,
        responseTimeoutMs: responseTimeout,
        keepBodyBytes: MAX_API_BODY_BYTES,
        pastKeep: 'stop',
        signal: options.signal,
      },
    );
    if (exchange.status === undefined || exchange.bodyIncomplete) {
      const stage = exchange.status === undefined ? 'request' : 'body';
      const failure = exchange.failure ?? exchange.bodyFailure ?? { kind: 'reset', code: 'ECONNRESET', message: 'connection closed' };
      if (failure.kind === 'aborted' || options.signal?.aborted) throw interrupted(options.signal, 'Interrupted while calling the SendTalk API.');
      if (failure.kind === 'too-large') throw tooLarge(url);
      const error = networkFailure(failure, url, stage, {
        connectMs: connectTimeout,
        responseMs: responseTimeout,
        overallMs: cutByDeadline ? overallMs : undefined,
        attempt,
      });
      trace?.(`← ${error.message} after ${Date.now() - started} ms`);
      const code = failure.code ?? '';
      const backoff = jitteredBackoff(attempt);
      if (canRetry && stage === 'request' && RETRYABLE_CONNECT.has(code) && Date.now() + backoff < deadline) {
        trace?.(`↻ ${code}: nothing was sent, retrying in ${backoff} ms`);
        await sleep(backoff, options.signal);
        continue;
      }
      throw error;
    }
    const answer = { status: exchange.status, headers: exchange.headers ?? {}, text: exchange.body.toString('utf8') };
    trace?.(`← HTTP ${answer.status} in ${Date.now() - started} ms: ${answer.text.slice(0, 500)}`);
    if (RETRYABLE_STATUS.has(answer.status)) {
      const asked = retryAfterMs(answer.headers['retry-after']);
      const wait = asked ?? jitteredBackoff(attempt);
      if (canRetry && wait <= MAX_RETRY_WAIT_MS && Date.now() + wait < deadline) {
        trace?.(`↻ HTTP ${answer.status}: retrying in ${wait} ms${asked !== undefined ? ' (Retry-After)' : ''}`);
        await sleep(wait, options.signal);
        continue;
      }
    }
    return { ...answer, attempts: attempt };
  }
}

function tooLarge(url: string): SendtalkVerifyError {
  return new SendtalkVerifyError(
    'api-unavailable',
    `${hostOf(url)} answered with a body over ${MAX_API_BODY_BYTES / 1024} KiB (a create answer is a few KB); stopped reading it.`,
    {
      hint: 'Check --api-url (or SENDTALK_API_URL) points at the SendTalk API; --debug shows the exchange.',
    },
  );
}

function interrupted(signal: AbortSignal | undefined, message: string): SendtalkVerifyError {
  return signal?.reason instanceof SendtalkVerifyError ? signal.reason : new SendtalkVerifyError('interrupted', message);
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : '';
}

/** Exponential backoff with jitter: 150–300 ms before the 2nd attempt, 300–600 ms before the 3rd… */
function jitteredBackoff(attempt: number): number {
  const base = 300 * 2 ** (attempt - 1);
  return Math.min(Math.round(base / 2 + (Math.random() * base) / 2), MAX_RETRY_WAIT_MS);
}

/** Retry-After as seconds or as an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  const { setTimeout: wait } = await import('node:timers/promises');
  await wait(ms, undefined, { signal }).catch(() => {
    throw interrupted(signal, 'Interrupted while waiting to retry the SendTalk API.');
  });
}

interface FailureContext {
  connectMs: number;
  responseMs: number;
  /** Set when this attempt was cut by the bound of the whole call. */
  overallMs?: number;
  attempt: number;
  cause?: unknown;
}

function networkFailure(failure: ExchangeFailure, url: string, stage: 'request' | 'body', ctx: FailureContext): SendtalkVerifyError {
  const code = failure.code ?? '';
  const host = hostOf(url);
  const tries = ctx.attempt > 1 ? ` (${ctx.attempt} attempts)` : '';
  const offline = 'Check your network and --api-url (or SENDTALK_API_URL); --sandbox works offline.';
  // Once the request may have reached SendTalk, it is not sent again: a second create would send a second message.
  const maybeCreated =
    'SendTalk may have created the verification anyway (it was not sent twice, to avoid a duplicate); try again in a minute, --debug shows the exchange.';
  // The bound of the whole attempt is the one timeout without a code of its own.
  const wholeAttempt = failure.kind === 'timeout' && code === '';
  const [message, hint] = ((): [string, string] => {
    if (wholeAttempt && ctx.overallMs !== undefined) {
      const what = stage === 'body' ? 'finish its answer' : 'answer';
      return [
        `${host} did not ${what} within ${formatDuration(ctx.overallMs)}, the time allowed for the whole API call${tries}.`,
        `${stage === 'request' ? offline : maybeCreated} SENDTALK_API_TIMEOUT allows longer.`,
      ];
    }
    if (wholeAttempt || code === 'HEADERS_TIMEOUT' || code === 'BODY_TIMEOUT') {
      return stage === 'body'
        ? [`${host} started answering but did not finish within ${ctx.responseMs / 1000} s.`, maybeCreated]
        : [`${host} did not answer within ${ctx.responseMs / 1000} s.`, maybeCreated];
    }
    switch (code) {
      case 'CONNECT_TIMEOUT':
        return [`Could not connect to ${host} within ${ctx.connectMs / 1000} s${tries}.`, offline];
      case 'ECONNREFUSED':
        return [`${host} refused the connection${tries}.`, `Is the API running there? ${offline}`];
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return [`Could not resolve ${host}${tries}.`, offline];
      case 'ENETUNREACH':
      case 'EHOSTUNREACH':
        return [`${host} is unreachable${tries}.`, offline];
      case 'ECONNRESET':
      case 'EPIPE':
        return stage === 'body'
          ? [`${host} cut the connection in the middle of its answer.`, maybeCreated]
          : [`${host} closed the connection before answering.`, maybeCreated];
      default:
        return [`Could not reach ${host}: ${failure.message}.`, offline];
    }
  })();
  return new SendtalkVerifyError('api-unavailable', message, {
    hint,
    code: code || undefined,
    details: { attempts: ctx.attempt },
    cause: ctx.cause ?? failure,
  });
}
