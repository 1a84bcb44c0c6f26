import { noApiKeyError, SendtalkVerifyError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../fields.js';
import { maskSecret } from '../mask.js';
import { formatDuration } from '../duration.js';
import { parseJsonKeepingBigIntegers } from '../json-big-integers.js';
import { parsePhone } from '../phone.js';
import { USER_AGENT } from '../version.js';
import { parseVerification, type Verification } from './parse-verification.js';
import { parseHttpUrl, hostOf } from '../http/parse-url.js';

export const DEFAULT_API_URL = 'https://sendtalk-api.taptalk.io';
export const CREATE_PATH = '/api/v1/verification/create_whatsapp_verification';
export type LanguageCode = 'en' | 'id';

export interface CreateVerificationOptions {
  /** SendTalk API key, sent as the `API-Key` header. Never printed. */
  apiKey: string;
  /** Phone number in any common notation; sent as digits with the country code. */
  phone: string;
  /** Language of the WhatsApp message. @default 'en' */
  language?: LanguageCode;
  /** Minutes until the verification expires; SendTalk's default when omitted. */
  expiryMinutes?: number;
  /** A link SendTalk puts in the message, e.g. back to your app. */
  appUrl?: string;
  /** API base URL. @default 'https://sendtalk-api.taptalk.io' */
  apiUrl?: string;
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

/** Maps the field names SendTalk blames in errors to the flag that sets them. */
const FLAG_FOR_FIELD: Record<string, string> = {
  phone: '--phone', userphone: '--phone', languagecode: '--language', language: '--language',
  expiryminutes: '--expiry', expiry: '--expiry', appurl: '--app-url',
};

/**
 * SendTalk's codes for an API key problem (a published client's fixtures): `40001` no `API-Key`
 * header, `49103` a key it does not know. Older or other forms (`HeaderValidationFailed`, HTTP 401)
 * are still recognised by their words below.
 */
const KEY_ERROR_HINTS: Record<string, string> = {
  '40001': 'No API key reached SendTalk: set SENDTALK_API_KEY or pass --api-key.',
  '49103': 'SendTalk does not know this API key: copy it again from the SendTalk dashboard into SENDTALK_API_KEY (or --api-key).',
};

/**
 * Creates a WhatsApp verification. Reads SendTalk's envelope (errors arrive as HTTP 200 with
 * `body.status` ≠ 200) and throws a categorised `SendtalkVerifyError` for every failure.
 */
export async function createVerification(options: CreateVerificationOptions): Promise<Verification> {
  if (!options.apiKey) throw noApiKeyError();
  const phone = parsePhone(options.phone);
  const language = options.language ?? 'en';
  if (language !== 'en' && language !== 'id') {
    throw new SendtalkVerifyError('usage', `Language "${String(language)}" is not supported.`, {
      hint: 'Use --language en or --language id.', field: 'languageCode',
    });
  }
  if (options.expiryMinutes !== undefined && (!Number.isInteger(options.expiryMinutes) || options.expiryMinutes <= 0)) {
    throw new SendtalkVerifyError('usage', `Expiry "${options.expiryMinutes}" must be a whole number of minutes above 0.`, {
      hint: 'Pass e.g. --expiry 10.', field: 'expiryMinutes',
    });
  }
  const body: JsonObject = { userPhone: phone.digits, languageCode: language };
  if (options.expiryMinutes !== undefined) body.expiryMinutes = options.expiryMinutes;
  if (options.appUrl) body.appURL = options.appUrl;

  const envelope = await postToCreateEndpoint(body, options);
  return parseVerification(readEnvelope(envelope), phone.digits);
}

/** Connection settings shared by every call to the create endpoint. */
export type EndpointOptions = Pick<CreateVerificationOptions, 'apiKey' | 'apiUrl' | 'connectTimeoutMs' | 'responseTimeoutMs' | 'timeoutMs' | 'retries' | 'signal' | 'onTrace'>;

/**
 * POSTs `body` to the create endpoint as given and returns the parsed JSON answer (the envelope),
 * unread. HTTP-level failures (network, 5xx, non-JSON) throw; envelope errors are left to the
 * caller, so `doctor` can send a deliberately incomplete request and read the verdict.
 */
export async function postToCreateEndpoint(body: JsonObject, options: EndpointOptions): Promise<unknown> {
  return postJson(joinUrl(options.apiUrl ?? DEFAULT_API_URL, CREATE_PATH), body, options);
}

export function joinUrl(base: string, path: string): string {
  const parsed = parseHttpUrl(base, 'API URL', 'Pass --api-url (or SENDTALK_API_URL) as http(s)://host[:port].');
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}${path}`;
}

interface HttpAnswer { status: number; headers: Record<string, string | string[] | undefined>; text: string }

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

async function postJson(url: string, body: JsonObject, options: EndpointOptions): Promise<unknown> {
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
      let answer: HttpAnswer;
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
      return interpretAnswer(answer, url, attempt);
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

function interpretAnswer(answer: HttpAnswer, url: string, attempts: number): unknown {
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  const details = { httpStatus: answer.status, attempts };
  if (answer.status === 429) {
    const after = retryAfterMs(answer.headers['retry-after']);
    const when = after === undefined ? 'in a minute' : `in ${formatSeconds(after)}`;
    throw new SendtalkVerifyError('api-unavailable',
      `SendTalk API is rate-limiting this key: HTTP 429${after === undefined ? '' : `, Retry-After ${formatSeconds(after)}`}${tries}.`,
      { hint: `Wait and try again ${when}; creating many verifications in a loop trips the limit.`, details: { ...details, retryAfterMs: after } });
  }
  let json: unknown;
  try {
    json = parseJsonKeepingBigIntegers(answer.text);
  } catch {
    const kind = /^\s*</.test(answer.text) ? 'an HTML page' : answer.text.trim() === '' ? 'an empty body' : 'a body that is not JSON';
    const title = /<title>([^<]{1,80})<\/title>/i.exec(answer.text)?.[1]?.trim();
    const isServerSide = answer.status >= 500 || answer.status < 400;
    throw new SendtalkVerifyError(isServerSide ? 'api-unavailable' : 'api-rejected',
      `SendTalk API answered HTTP ${answer.status} with ${kind}${title ? ` ("${title}")` : ''} instead of JSON${tries}.`,
      { hint: hintForHttpStatus(answer.status, url, kind === 'an HTML page'), details });
  }
  if (answer.status >= 300 && answer.status < 400) {
    // A redirect is not an answer (undici does not follow it, and must not: the key would go along).
    const location = answer.headers.location;
    throw new SendtalkVerifyError('api-unavailable',
      `SendTalk API answered HTTP ${answer.status}, a redirect${typeof location === 'string' ? ` to ${location.slice(0, 200)}` : ''}, not a result${tries}.`,
      { hint: 'Point --api-url (or SENDTALK_API_URL) at the address it redirects to, if you trust it (https:// instead of http://?).', details });
  }
  if (answer.status >= 400 && !(isJsonObject(json) && isJsonObject(json.error) && json.error.message)) {
    throw new SendtalkVerifyError(answer.status >= 500 ? 'api-unavailable' : 'api-rejected',
      `SendTalk API answered HTTP ${answer.status}${tries}.`, { hint: hintForHttpStatus(answer.status, url, false), details });
  }
  return json;
}

function formatSeconds(ms: number): string {
  return `${Math.ceil(ms / 1000)} s`;
}

function hintForHttpStatus(status: number, url: string, html: boolean): string {
  if (status >= 500) return 'SendTalk may be having trouble: try again in a minute; --debug shows the exchange.';
  if (status === 401 || status === 403) return 'Check the API key (SENDTALK_API_KEY or --api-key).';
  if (status === 404) return `Nothing answers at ${url}: check --api-url (or SENDTALK_API_URL).`;
  if (html && status < 400) return `A web page answered instead of the API (a proxy, captive portal or wrong address): check --api-url (or SENDTALK_API_URL) and your network.`;
  return 'Run with --debug to see the exchange.';
}

/**
 * Reads SendTalk's envelope `{status, error:{code,message,field}, data}`. Errors come back as HTTP
 * 200 with `status` ≠ 200, so `status` decides, not the HTTP code.
 */
export function readEnvelope(json: unknown): unknown {
  if (!isJsonObject(json)) {
    throw new SendtalkVerifyError('api-unavailable', `SendTalk API answered JSON that is not an envelope object.`, {
      hint: 'Check --api-url points at the SendTalk API; --debug shows the answer.',
    });
  }
  const error = isJsonObject(json.error) ? json.error : {};
  const message = typeof error.message === 'string' ? error.message : '';
  const code = error.code === undefined || error.code === null ? '' : String(error.code);
  const field = typeof error.field === 'string' ? error.field : '';
  const status = typeof json.status === 'number' ? json.status : Number(json.status);
  const failed = (Number.isFinite(status) && status !== 200) || message !== '' || code !== '';
  if (!failed) return json.data;

  if (status === 429) {
    throw new SendtalkVerifyError('api-unavailable', `SendTalk API is rate-limiting this key: ${message || 'too many requests'}${code ? ` (code ${code})` : ''}.`, {
      hint: 'Wait a minute and try again; creating many verifications in a loop trips the limit.', code: code || undefined, details: { status },
    });
  }
  const headerProblem = Object.hasOwn(KEY_ERROR_HINTS, code) || /header/i.test(code) || /header|api[- ]?key/i.test(`${field} ${message}`) || status === 401 || status === 403;
  const flag = FLAG_FOR_FIELD[field.toLowerCase().replace(/[_-]/g, '')];
  const hint = headerProblem
    ? (Object.hasOwn(KEY_ERROR_HINTS, code) ? KEY_ERROR_HINTS[code] : undefined) ?? 'Check the API key: SENDTALK_API_KEY or --api-key, from the SendTalk dashboard.'
    : flag ? `Fix ${flag} and try again.` : 'Check the request parameters; --debug shows the exchange.';
  const serverSide = Number.isFinite(status) && status >= 500;
  const label = [code && `code ${code}`, field && `field ${field}`].filter(Boolean).join(', ');
  throw new SendtalkVerifyError(serverSide ? 'api-unavailable' : 'api-rejected',
    `SendTalk rejected the request: ${message || 'no message'}${label ? ` (${label})` : ''}.`,
    { hint, code: code || undefined, field: field || undefined, details: { status: Number.isFinite(status) ? status : undefined, keyProblem: headerProblem } });
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
        `${stage === 'request' ? offline : maybeCreated} --api-timeout allows longer.`];
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
