import { noApiKeyError, SendtalkVerifyError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../fields.js';
import { maskSecret } from '../mask.js';
import { parsePhone } from '../phone.js';
import { USER_AGENT } from '../version.js';
import { parseVerification, type Verification } from './parse-verification.js';

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
export type EndpointOptions = Pick<CreateVerificationOptions, 'apiKey' | 'apiUrl' | 'connectTimeoutMs' | 'responseTimeoutMs' | 'retries' | 'signal' | 'onTrace'>;

/**
 * POSTs `body` to the create endpoint as given and returns the parsed JSON answer (the envelope),
 * unread. HTTP-level failures (network, 5xx, non-JSON) throw; envelope errors are left to the
 * caller, so `doctor` can send a deliberately incomplete request and read the verdict.
 */
export async function postToCreateEndpoint(body: JsonObject, options: EndpointOptions): Promise<unknown> {
  return postJson(joinUrl(options.apiUrl ?? DEFAULT_API_URL, CREATE_PATH), body, options);
}

export function joinUrl(base: string, path: string): string {
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    throw new SendtalkVerifyError('usage', `API URL "${base}" is not a URL.`, {
      hint: 'Pass --api-url (or SENDTALK_API_URL) as http(s)://host[:port].',
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new SendtalkVerifyError('usage', `API URL "${base}" must start with http:// or https://.`, {
      hint: 'Pass --api-url (or SENDTALK_API_URL) as http(s)://host[:port].',
    });
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}${path}`;
}

interface HttpAnswer { status: number; headers: Record<string, string | string[] | undefined>; text: string }

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
/** Connection errors raised before any byte of the request was accepted: safe to send again. */
const RETRYABLE_CONNECT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

async function postJson(url: string, body: JsonObject, options: EndpointOptions): Promise<unknown> {
  // undici is loaded on first use so that `--help` and `--version` do not pay for it.
  const { Agent, request } = await import('undici');
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  const responseTimeout = options.responseTimeoutMs ?? 15_000;
  const dispatcher = new Agent({ connect: { timeout: connectTimeout }, headersTimeout: responseTimeout, bodyTimeout: responseTimeout });
  const trace = options.onTrace;
  const retries = Math.max(0, options.retries ?? 2);
  const payload = JSON.stringify(body);
  try {
    for (let attempt = 0; ; attempt++) {
      const started = Date.now();
      trace?.(`→ POST ${url} (API-Key: ${maskSecret(options.apiKey)}) ${payload}`);
      let answer: HttpAnswer;
      try {
        const res = await request(url, {
          method: 'POST',
          dispatcher,
          signal: options.signal,
          headers: { 'api-key': options.apiKey, 'content-type': 'application/json', 'user-agent': USER_AGENT, accept: 'application/json' },
          body: payload,
        });
        answer = { status: res.statusCode, headers: res.headers, text: await res.body.text() };
      } catch (error) {
        const failure = networkFailure(error, url, connectTimeout, responseTimeout, options.signal);
        trace?.(`← ${failure.message} after ${Date.now() - started} ms`);
        const code = (error as { code?: string }).code ?? '';
        if (attempt < retries && RETRYABLE_CONNECT.has(code)) {
          await backoff(attempt, undefined, options.signal);
          continue;
        }
        throw failure;
      }
      trace?.(`← HTTP ${answer.status} in ${Date.now() - started} ms: ${answer.text.slice(0, 500)}`);
      if (attempt < retries && RETRYABLE_STATUS.has(answer.status)) {
        await backoff(attempt, answer.headers['retry-after'], options.signal);
        continue;
      }
      return interpretAnswer(answer, url);
    }
  } finally {
    dispatcher.close().catch(() => {});
  }
}

/** Exponential backoff with full jitter, honouring Retry-After (capped so Ctrl-C and CI stay snappy). */
async function backoff(attempt: number, retryAfter: string | string[] | undefined, signal?: AbortSignal): Promise<void> {
  const header = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  const asked = header !== undefined && /^\d+$/.test(header) ? Number(header) * 1000 : undefined;
  const base = 300 * 2 ** attempt;
  const delay = Math.min(asked ?? base / 2 + Math.random() * base / 2, 10_000);
  const { setTimeout: sleep } = await import('node:timers/promises');
  await sleep(delay, undefined, { signal }).catch(() => {
    throw new SendtalkVerifyError('interrupted', 'Interrupted while waiting to retry the SendTalk API.');
  });
}

function interpretAnswer(answer: HttpAnswer, url: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    const kind = /^\s*</.test(answer.text) ? 'an HTML page' : answer.text.trim() === '' ? 'an empty body' : 'a body that is not JSON';
    const title = /<title>([^<]{1,80})<\/title>/i.exec(answer.text)?.[1]?.trim();
    const isServerSide = answer.status >= 500 || answer.status < 400;
    throw new SendtalkVerifyError(isServerSide ? 'api-unavailable' : 'api-rejected',
      `SendTalk API answered HTTP ${answer.status} with ${kind}${title ? ` ("${title}")` : ''} instead of JSON.`,
      { hint: hintForHttpStatus(answer.status, url), details: { httpStatus: answer.status } });
  }
  if (answer.status >= 400 && !(isJsonObject(json) && isJsonObject(json.error) && json.error.message)) {
    throw new SendtalkVerifyError(answer.status >= 500 || answer.status === 429 ? 'api-unavailable' : 'api-rejected',
      `SendTalk API answered HTTP ${answer.status}.`, { hint: hintForHttpStatus(answer.status, url), details: { httpStatus: answer.status } });
  }
  return json;
}

function hintForHttpStatus(status: number, url: string): string {
  if (status === 429) return 'SendTalk is rate-limiting this key: wait a minute and try again.';
  if (status >= 500) return 'SendTalk may be having trouble: try again in a minute; --debug shows the exchange.';
  if (status === 401 || status === 403) return 'Check the API key (SENDTALK_API_KEY or --api-key).';
  if (status === 404) return `Nothing answers at ${url}: check --api-url (or SENDTALK_API_URL).`;
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

  const headerProblem = /header/i.test(code) || /header|api[- ]?key/i.test(`${field} ${message}`) || status === 401 || status === 403;
  const flag = FLAG_FOR_FIELD[field.toLowerCase().replace(/[_-]/g, '')];
  const hint = headerProblem
    ? 'Check the API key: SENDTALK_API_KEY or --api-key, from the SendTalk dashboard.'
    : flag ? `Fix ${flag} and try again.` : 'Check the request parameters; --debug shows the exchange.';
  const serverSide = Number.isFinite(status) && status >= 500;
  const label = [code && `code ${code}`, field && `field ${field}`].filter(Boolean).join(', ');
  throw new SendtalkVerifyError(serverSide ? 'api-unavailable' : 'api-rejected',
    `SendTalk rejected the request: ${message || 'no message'}${label ? ` (${label})` : ''}.`,
    { hint, code: code || undefined, field: field || undefined, details: { status: Number.isFinite(status) ? status : undefined, keyProblem: headerProblem } });
}

function networkFailure(error: unknown, url: string, connectMs: number, responseMs: number, signal?: AbortSignal): SendtalkVerifyError {
  if (signal?.aborted) return new SendtalkVerifyError('interrupted', 'Interrupted while calling the SendTalk API.');
  const code = (error as { code?: string }).code ?? '';
  const host = safeHost(url);
  const hint = 'Check your network and --api-url (or SENDTALK_API_URL); --sandbox works offline.';
  const message = (() => {
    switch (code) {
      case 'UND_ERR_CONNECT_TIMEOUT': return `Could not connect to ${host} within ${connectMs / 1000} s.`;
      case 'UND_ERR_HEADERS_TIMEOUT':
      case 'UND_ERR_BODY_TIMEOUT': return `${host} did not answer within ${responseMs / 1000} s.`;
      case 'ECONNREFUSED': return `${host} refused the connection.`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN': return `Could not resolve ${host}.`;
      case 'ECONNRESET':
      case 'UND_ERR_SOCKET': return `${host} closed the connection before answering.`;
      default: return `Could not reach ${host}: ${(error as Error).message ?? String(error)}.`;
    }
  })();
  return new SendtalkVerifyError('api-unavailable', message, { hint, code: code || undefined, cause: error });
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
