import { SendtalkVerifyError } from '../errors.js';
import type { JsonObject } from '../fields.js';
import { maskSecret } from '../mask.js';
import { formatDuration } from '../duration.js';
import { USER_AGENT } from '../version.js';
import { hostOf } from './parse-url.js';

/*
 * The transport under the SendTalk client: one JSON POST with bounded time, bounded body and
 * retries only where a retry cannot send the request twice. SendTalk's own rules (the envelope,
 * its error codes) stay in src/client.
 */

/** An HTTP answer read in full (within MAX_API_BODY_BYTES), and how many attempts it took. */
export interface HttpAnswer { status: number; headers: Record<string, string | string[] | undefined>; text: string; attempts: number }

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
  // undici is loaded on first use so that `--help` and `--version` do not pay for it.
  const { Agent } = await import('undici');
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  const responseTimeout = options.responseTimeoutMs ?? 15_000;
  const dispatcher = new Agent({ connect: { timeout: connectTimeout }, headersTimeout: responseTimeout, bodyTimeout: responseTimeout });
  const trace = options.onTrace;
  const retries = Math.max(0, options.retries ?? 2);
  const payload = JSON.stringify(body);
  const overallMs = options.timeoutMs ?? DEFAULT_API_TIMEOUT_MS;
  const deadline = Date.now() + overallMs;
  try {
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      const remaining = deadline - started;
      trace?.(`→ POST ${url} (API-Key: ${maskSecret(options.apiKey)}) ${payload}${attempt > 1 ? ` [attempt ${attempt} of ${retries + 1}]` : ''}`);
      // One bound on the whole attempt, so that an answer trickling in byte by byte cannot stretch
      // it, and never past the bound of the whole call.
      const cutByDeadline = remaining < connectTimeout + responseTimeout;
      const bound = AbortSignal.timeout(Math.max(1, Math.min(connectTimeout + responseTimeout, remaining)));
      // Retried only while a wait and another try fit before the deadline (checked where it waits).
      const canRetry = attempt <= retries;
      const signal = options.signal ? AbortSignal.any([options.signal, bound]) : bound;
      let stage: Stage = 'request';
      let answer: Omit<HttpAnswer, 'attempts'>;
      try {
        const target = new URL(url);
        const res = await dispatcher.request({
          origin: target.origin,
          path: `${target.pathname}${target.search}`,
          method: 'POST',
          signal,
          headers: { 'api-key': options.apiKey, 'content-type': 'application/json', 'user-agent': USER_AGENT, accept: 'application/json' },
          body: payload,
        });
        stage = 'body';
        answer = { status: res.statusCode, headers: res.headers, text: await readCapped(res.body, res.headers['content-length'], url) };
      } catch (error) {
        if (error instanceof SendtalkVerifyError) throw error;
        const failure = networkFailure(error, url, stage, { connectMs: connectTimeout, responseMs: responseTimeout, overallMs: cutByDeadline ? overallMs : undefined, attempt, bound, signal: options.signal });
        trace?.(`← ${failure.message} after ${Date.now() - started} ms`);
        const code = errorCode(error);
        const backoff = jitteredBackoff(attempt);
        if (canRetry && stage === 'request' && RETRYABLE_CONNECT.has(code) && failure.category !== 'interrupted' && Date.now() + backoff < deadline) {
          const wait = backoff;
          trace?.(`↻ ${code}: nothing was sent, retrying in ${wait} ms`);
          await sleep(wait, options.signal);
          continue;
        }
        throw failure;
      }
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
  } finally {
    dispatcher.close().catch(() => {});
  }
}

type Stage = 'request' | 'body';

/** The answer's body as text, failing past MAX_API_BODY_BYTES (declared or streamed) without reading on. */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown }, declared: string | string[] | undefined, url: string): Promise<string> {
  const tooLarge = (): SendtalkVerifyError => {
    body.destroy();
    return new SendtalkVerifyError('api-unavailable', `${hostOf(url)} answered with a body over ${MAX_API_BODY_BYTES / 1024} KiB (a create answer is a few KB); stopped reading it.`, {
      hint: 'Check --api-url (or SENDTALK_API_URL) points at the SendTalk API; --debug shows the exchange.',
    });
  };
  const length = Number(Array.isArray(declared) ? declared[0] : declared);
  if (Number.isFinite(length) && length > MAX_API_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_API_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : '';
}

/** Exponential backoff with jitter: 150–300 ms before the 2nd attempt, 300–600 ms before the 3rd… */
function jitteredBackoff(attempt: number): number {
  const base = 300 * 2 ** (attempt - 1);
  return Math.min(Math.round(base / 2 + Math.random() * base / 2), MAX_RETRY_WAIT_MS);
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
    throw signal?.reason instanceof SendtalkVerifyError ? signal.reason : new SendtalkVerifyError('interrupted', 'Interrupted while waiting to retry the SendTalk API.');
  });
}

interface FailureContext {
  connectMs: number;
  responseMs: number;
  /** Set when this attempt was cut by the bound of the whole call. */
  overallMs?: number;
  attempt: number;
  bound: AbortSignal;
  signal?: AbortSignal;
}

function networkFailure(error: unknown, url: string, stage: Stage, ctx: FailureContext): SendtalkVerifyError {
  if (ctx.signal?.aborted) {
    return ctx.signal.reason instanceof SendtalkVerifyError ? ctx.signal.reason : new SendtalkVerifyError('interrupted', 'Interrupted while calling the SendTalk API.');
  }
  const code = errorCode(error);
  const host = hostOf(url);
  const tries = ctx.attempt > 1 ? ` (${ctx.attempt} attempts)` : '';
  const offline = 'Check your network and --api-url (or SENDTALK_API_URL); --sandbox works offline.';
  // Once the request may have reached SendTalk, it is not sent again: a second create would send a second message.
  const maybeCreated = 'SendTalk may have created the verification anyway (it was not sent twice, to avoid a duplicate); try again in a minute, --debug shows the exchange.';
  const [message, hint] = ((): [string, string] => {
    if (ctx.bound.aborted && ctx.overallMs !== undefined) {
      const what = stage === 'body' ? 'finish its answer' : code === 'UND_ERR_CONNECT_TIMEOUT' ? 'accept a connection' : 'answer';
      return [`${host} did not ${what} within ${formatDuration(ctx.overallMs)}, the time allowed for the whole API call${tries}.`,
        `${stage === 'request' ? offline : maybeCreated} SENDTALK_API_TIMEOUT allows longer.`];
    }
    if (ctx.bound.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return stage === 'body'
        ? [`${host} started answering but did not finish within ${ctx.responseMs / 1000} s.`, maybeCreated]
        : [`${host} did not answer within ${ctx.responseMs / 1000} s.`, maybeCreated];
    }
    switch (code) {
      case 'UND_ERR_CONNECT_TIMEOUT': return [`Could not connect to ${host} within ${ctx.connectMs / 1000} s${tries}.`, offline];
      case 'ECONNREFUSED': return [`${host} refused the connection${tries}.`, `Is the API running there? ${offline}`];
      case 'ENOTFOUND':
      case 'EAI_AGAIN': return [`Could not resolve ${host}${tries}.`, offline];
      case 'ENETUNREACH':
      case 'EHOSTUNREACH': return [`${host} is unreachable${tries}.`, offline];
      case 'ECONNRESET':
      case 'EPIPE':
      case 'UND_ERR_SOCKET':
        return stage === 'body'
          ? [`${host} cut the connection in the middle of its answer.`, maybeCreated]
          : [`${host} closed the connection before answering.`, maybeCreated];
      default: return [`Could not reach ${host}: ${(error as Error)?.message ?? String(error)}.`, offline];
    }
  })();
  return new SendtalkVerifyError('api-unavailable', message, { hint, code: code || undefined, details: { attempts: ctx.attempt }, cause: error });
}
