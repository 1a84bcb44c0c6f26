import { DEFAULT_SECRET_HEADER } from '../webhook/secret.js';
import { checkHttpUrl } from '../http/url.js';

/** Where `trigger` sends, and how. Shared by a single send, `--check` and `--replay`. */
export interface TriggerTarget {
  /** The webhook URL, as registered in Verification Config. */
  url: string;
  /** The secret from Verification Config, sent in `secretHeader`. Never part of a report. */
  secret?: string;
  /** @default 'X-Secret-Key' */
  secretHeader?: string;
  /** Bound on each request, from connecting to the last byte of the answer. @default 10_000 */
  requestTimeoutMs?: number;
  /** Stops sending (Ctrl-C); the request in flight ends as an `aborted` failure. */
  signal?: AbortSignal;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export function resolveTarget(target: TriggerTarget): Required<Omit<TriggerTarget, 'secret' | 'signal'>> & Pick<TriggerTarget, 'secret' | 'signal'> {
  checkWebhookUrl(target.url);
  return {
    url: target.url,
    secret: target.secret,
    secretHeader: target.secretHeader ?? DEFAULT_SECRET_HEADER,
    requestTimeoutMs: target.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    signal: target.signal,
  };
}

/** Refuses anything but an absolute http(s) URL before a single request is sent. */
export function checkWebhookUrl(url: string): void {
  checkHttpUrl(url, '--url', 'Pass the webhook URL in full, e.g. --url https://staging.example.com/webhooks/sendtalk.');
}
