import { noApiKeyError, SendtalkVerifyError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../fields.js';
import { parseJsonKeepingBigIntegers } from '../json.js';
import { parsePhone, type PhoneNumber } from '../phone.js';
import { parseVerification, type Verification } from './parse-verification.js';
import { checkHttpUrl } from '../http/url.js';
import { postJson, retryAfterMs, type HttpAnswer, type PostJsonOptions } from '../http/client.js';

export const DEFAULT_API_URL = 'https://sendtalk-api.taptalk.io';
export const CREATE_PATH = '/api/v1/verification/create_whatsapp_verification';
export type LanguageCode = 'en' | 'id';

/** A create request as a caller gives it, and how to reach the API (the key, the bounds, the retries). */
export interface CreateVerificationOptions extends PostJsonOptions {
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
}

/** Maps the field names SendTalk blames in errors to the flag that sets them. */
const FLAG_FOR_FIELD: Record<string, string> = {
  phone: '--phone',
  userphone: '--phone',
  languagecode: '--language',
  language: '--language',
  expiryminutes: '--expiry',
  expiry: '--expiry',
  appurl: 'SENDTALK_APP_URL',
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
  return requestVerification(parseVerificationRequest(options));
}

/** A create request whose values have been checked once (see `parseVerificationRequest`). */
export interface VerificationRequest extends Omit<CreateVerificationOptions, 'phone' | 'apiUrl' | 'language'> {
  phone: PhoneNumber;
  /** The API base URL. */
  apiUrl: URL;
  language: LanguageCode;
}

/** The one place a caller's plain values for a create request are checked, in the order the errors are reported. */
export function parseVerificationRequest(options: CreateVerificationOptions): VerificationRequest {
  if (!options.apiKey) throw noApiKeyError();
  const phone = parsePhone(options.phone);
  const language = checkRequestFields(options);
  return { ...options, phone, language, apiUrl: parseApiUrl(options.apiUrl ?? DEFAULT_API_URL) };
}

/** The message's language and expiry as SendTalk accepts them; returns the language, `en` by default. */
export function checkRequestFields(fields: { language?: LanguageCode; expiryMinutes?: number }): LanguageCode {
  const language = fields.language ?? 'en';
  if (language !== 'en' && language !== 'id') {
    throw new SendtalkVerifyError('usage', `Language "${String(language)}" is not supported.`, {
      hint: 'Use --language en or --language id.',
      field: 'languageCode',
    });
  }
  if (fields.expiryMinutes !== undefined && (!Number.isInteger(fields.expiryMinutes) || fields.expiryMinutes <= 0)) {
    throw new SendtalkVerifyError('usage', `Expiry "${fields.expiryMinutes}" must be a whole number of minutes above 0.`, {
      hint: 'Pass e.g. --expiry 10.',
      field: 'expiryMinutes',
    });
  }
  return language;
}

/** Creates a verification from checked values: sends them as they are, checking nothing again. */
export async function requestVerification(request: VerificationRequest): Promise<Verification> {
  const body: JsonObject = { userPhone: request.phone.digits, languageCode: request.language };
  if (request.expiryMinutes !== undefined) body.expiryMinutes = request.expiryMinutes;
  if (request.appUrl) body.appURL = request.appUrl;
  const envelope = await postToEndpoint(endpointUrl(request.apiUrl, CREATE_PATH), body, request);
  return parseVerification(readEnvelope(envelope), request.phone.digits);
}

/** Connection settings shared by every call to the create endpoint. */
export type EndpointOptions = PostJsonOptions & {
  /** The API base URL, checked already (a URL) or as a caller gave it. @default 'https://sendtalk-api.taptalk.io' */
  apiUrl?: string | URL;
};

/**
 * POSTs `body` to the create endpoint as given and returns the parsed JSON answer (the envelope),
 * unread. HTTP-level failures (network, 5xx, non-JSON) throw; envelope errors are left to the
 * caller, so `doctor` can send a deliberately incomplete request and read the verdict.
 */
export async function postToCreateEndpoint(body: JsonObject, options: EndpointOptions): Promise<unknown> {
  const base = options.apiUrl instanceof URL ? options.apiUrl : parseApiUrl(options.apiUrl ?? DEFAULT_API_URL);
  return postToEndpoint(endpointUrl(base, CREATE_PATH), body, options);
}

async function postToEndpoint(url: string, body: JsonObject, options: Omit<EndpointOptions, 'apiUrl'>): Promise<unknown> {
  const answer = await postJson(url, body, options);
  return interpretAnswer(answer, url, answer.attempts);
}

/** An API base URL as given by a caller (a flag, the environment, a library option), checked once. */
export function parseApiUrl(base: string): URL {
  return checkHttpUrl(base, 'API URL', 'Pass --api-url (or SENDTALK_API_URL) as http(s)://host[:port].');
}

/** The endpoint at `path` under the API base URL, keeping a path prefix the base has. */
export function endpointUrl(base: URL, path: string): string {
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}${path}`;
}

function interpretAnswer(answer: HttpAnswer, url: string, attempts: number): unknown {
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  const details = { httpStatus: answer.status, attempts };
  if (answer.status === 429) {
    const after = retryAfterMs(answer.headers['retry-after']);
    const when = after === undefined ? 'in a minute' : `in ${formatSeconds(after)}`;
    throw new SendtalkVerifyError(
      'api-unavailable',
      `SendTalk API is rate-limiting this key: HTTP 429${after === undefined ? '' : `, Retry-After ${formatSeconds(after)}`}${tries}.`,
      { hint: `Wait and try again ${when}; creating many verifications in a loop trips the limit.`, details: { ...details, retryAfterMs: after } },
    );
  }
  let json: unknown;
  try {
    json = parseJsonKeepingBigIntegers(answer.text);
  } catch {
    const kind = /^\s*</.test(answer.text) ? 'an HTML page' : answer.text.trim() === '' ? 'an empty body' : 'a body that is not JSON';
    const title = /<title>([^<]{1,80})<\/title>/i.exec(answer.text)?.[1]?.trim();
    const isServerSide = answer.status >= 500 || answer.status < 400;
    throw new SendtalkVerifyError(
      isServerSide ? 'api-unavailable' : 'api-rejected',
      `SendTalk API answered HTTP ${answer.status} with ${kind}${title ? ` ("${title}")` : ''} instead of JSON${tries}.`,
      { hint: hintForHttpStatus(answer.status, url, kind === 'an HTML page'), details },
    );
  }
  if (answer.status >= 300 && answer.status < 400) {
    // A redirect is not an answer (the client does not follow it, and must not: the key would go along).
    const location = answer.headers.location;
    throw new SendtalkVerifyError(
      'api-unavailable',
      `SendTalk API answered HTTP ${answer.status}, a redirect${typeof location === 'string' ? ` to ${location.slice(0, 200)}` : ''}, not a result${tries}.`,
      { hint: 'Point --api-url (or SENDTALK_API_URL) at the address it redirects to, if you trust it (https:// instead of http://?).', details },
    );
  }
  if (answer.status >= 400 && !(isJsonObject(json) && isJsonObject(json.error) && json.error.message)) {
    throw new SendtalkVerifyError(answer.status >= 500 ? 'api-unavailable' : 'api-rejected', `SendTalk API answered HTTP ${answer.status}${tries}.`, {
      hint: hintForHttpStatus(answer.status, url, false),
      details,
    });
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
  if (html && status < 400)
    return `A web page answered instead of the API (a proxy, captive portal or wrong address): check --api-url (or SENDTALK_API_URL) and your network.`;
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
    throw new SendtalkVerifyError(
      'api-unavailable',
      `SendTalk API is rate-limiting this key: ${message || 'too many requests'}${code ? ` (code ${code})` : ''}.`,
      {
        hint: 'Wait a minute and try again; creating many verifications in a loop trips the limit.',
        code: code || undefined,
        details: { status },
      },
    );
  }
  const headerProblem =
    Object.hasOwn(KEY_ERROR_HINTS, code) || /header/i.test(code) || /header|api[- ]?key/i.test(`${field} ${message}`) || status === 401 || status === 403;
  const flag = FLAG_FOR_FIELD[field.toLowerCase().replace(/[_-]/g, '')];
  const hint = headerProblem
    ? ((Object.hasOwn(KEY_ERROR_HINTS, code) ? KEY_ERROR_HINTS[code] : undefined) ??
      'Check the API key: SENDTALK_API_KEY or --api-key, from the SendTalk dashboard.')
    : flag
      ? `Fix ${flag} and try again.`
      : 'Check the request parameters; --debug shows the exchange.';
  const serverSide = Number.isFinite(status) && status >= 500;
  const label = [code && `code ${code}`, field && `field ${field}`].filter(Boolean).join(', ');
  throw new SendtalkVerifyError(
    serverSide ? 'api-unavailable' : 'api-rejected',
    `SendTalk rejected the request: ${message || 'no message'}${label ? ` (${label})` : ''}.`,
    { hint, code: code || undefined, field: field || undefined, details: { status: Number.isFinite(status) ? status : undefined, keyProblem: headerProblem } },
  );
}
