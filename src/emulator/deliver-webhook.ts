import { runExchange } from '../http/client.js';
import { USER_AGENT } from '../version.js';

export interface WebhookAttempt {
  attempt: number;
  at: string;
  /** HTTP status of the answer, when one came. */
  status?: number;
  /** Why no answer came (connection refused, timeout…). */
  error?: string;
  ms: number;
}

export interface WebhookTarget {
  url: string;
  secret?: string;
  secretHeader: string;
}

export const isDelivered = (attempt: WebhookAttempt): boolean => attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300;

/** Sends one webhook POST. Never throws: the outcome is data, so retries and reports stay simple. */
export async function postWebhook(target: WebhookTarget, body: string, timeoutMs: number, attempt: number, signal?: AbortSignal): Promise<WebhookAttempt> {
  const at = new Date().toISOString();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': `SendTalk-Emulator (${USER_AGENT})`,
  };
  if (target.secret !== undefined) headers[target.secretHeader] = target.secret;
  const exchange = await runExchange({ url: target.url, method: 'POST', headers, body: Buffer.from(body, 'utf8') }, { timeoutMs, keepBodyBytes: 0, signal });
  const result: WebhookAttempt = { attempt, at, ms: exchange.ms };
  if (exchange.status !== undefined) result.status = exchange.status;
  else result.error = exchange.failure?.message ?? 'no answer';
  return result;
}

export interface RetryPolicy {
  attempts: number;
  timeoutMs: number;
  /** Wait before the first retry; doubles for each further one. */
  backoffMs: number;
  /** Waits between attempts; resolves false when the wait was cut short (the emulator closed). */
  pause(ms: number): Promise<boolean>;
  signal?: AbortSignal;
}

/**
 * Delivers one webhook with retries: anything but a 2xx (an error status, a time-out, a refused
 * connection) is tried again after an exponential backoff, like a webhook sender that promises
 * at-least-once delivery. `onAttempt` hears of every attempt as it ends.
 */
export async function deliverWithRetries(
  target: WebhookTarget,
  body: string,
  policy: RetryPolicy,
  onAttempt: (attempt: WebhookAttempt, final: boolean) => void,
): Promise<WebhookAttempt | undefined> {
  let last: WebhookAttempt | undefined;
  for (let n = 1; n <= policy.attempts; n++) {
    if (policy.signal?.aborted) break;
    last = await postWebhook(target, body, policy.timeoutMs, n, policy.signal);
    const delivered = isDelivered(last);
    onAttempt(last, delivered || n === policy.attempts);
    if (delivered) break;
    if (n < policy.attempts && !(await policy.pause(policy.backoffMs * 2 ** (n - 1)))) break;
  }
  return last;
}
