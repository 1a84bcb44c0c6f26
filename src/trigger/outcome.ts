import { STATUS_CODES } from 'node:http';
import { REDACTED } from '../mask.js';
import { interruptedBy } from '../errors.js';
import { runExchange, type FailureKind, type HttpExchange, type OutgoingRequest } from '../http/client.js';
import { isReminderPage, REMINDER_PAGE } from '../tunnel/reminder-page.js';

/** What an endpoint answered to one request, as reports show it. Never holds a secret. */
export interface Outcome {
  /** HTTP status, or null when no answer came. */
  status: number | null;
  /** Why no answer came, or null. */
  failure: FailureKind | null;
  /** In a few words: `401 Unauthorized`, `no answer within 10.0 s`, `connection refused`. */
  summary: string;
  ms: number;
  /** The start of the answer's body (at most 200 characters), secrets replaced by `[redacted]`. */
  bodyStart: string;
  /** Bytes of the request body sent. */
  requestBytes: number;
  /** Whether the whole request body went out before the exchange ended. */
  requestSent: boolean;
  /**
   * The answer was loca.lt's reminder page (a 401 web page from the tunnel server), not the
   * endpoint's: the request never reached the endpoint. See src/tunnel/reminder-page.ts.
   */
  reminderPage?: true;
}

const BODY_START_CHARS = 200;

export function toOutcome(exchange: HttpExchange, requestBytes: number, secrets: ReadonlyArray<string | undefined>): Outcome {
  const status = exchange.status ?? null;
  const reminderPage = status !== null && isReminderPage(status, exchange.body);
  const summary =
    status !== null
      ? `${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}${reminderPage ? ` (${REMINDER_PAGE})` : ''}`
      : exchange.failure?.kind === 'reset' && !exchange.requestSent && requestBytes > 0
        ? 'connection closed before the body was sent'
        : (exchange.failure?.message ?? 'no answer');
  return {
    status,
    failure: status === null ? (exchange.failure?.kind ?? 'other') : null,
    summary,
    ms: exchange.ms,
    bodyStart: bodyStart(exchange.body, secrets),
    requestBytes,
    requestSent: exchange.requestSent,
    ...(reminderPage ? { reminderPage: true as const } : {}),
  };
}

/**
 * The start of a body, for display. An endpoint that echoes the request (a debug route, a
 * framework's error page) would echo the secret: every occurrence is replaced before the body is
 * cut, and a tail that could be the beginning of a secret is dropped, so no part of one shows.
 */
export function bodyStart(body: Buffer, secrets: ReadonlyArray<string | undefined>): string {
  let text = body.toString('utf8');
  const present = secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
  for (const secret of present) text = text.split(secret).join(REDACTED);
  for (const secret of present) {
    for (let n = Math.min(secret.length - 1, text.length); n >= 2; n--) {
      if (text.endsWith(secret.slice(0, n))) {
        text = text.slice(0, -n);
        break;
      }
    }
  }
  return text.length > BODY_START_CHARS ? `${text.slice(0, BODY_START_CHARS)}…` : text;
}

export const is2xx = (status: number | null): boolean => status !== null && status >= 200 && status < 300;

/**
 * Sends one request within the target's bounds and reports the answer as an outcome (secrets
 * redacted from the body preview). Ctrl-C during the send is an interruption, not a verdict.
 */
export async function sendForOutcome(
  target: { requestTimeoutMs: number; signal?: AbortSignal },
  request: OutgoingRequest,
  secrets: ReadonlyArray<string | undefined>,
): Promise<Outcome> {
  const exchange = await runExchange(request, { timeoutMs: target.requestTimeoutMs, signal: target.signal });
  if (target.signal?.aborted) throw interruptedBy(target.signal);
  return toOutcome(exchange, request.body?.length ?? 0, secrets);
}
