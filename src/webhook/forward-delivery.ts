import { SendFailure, sendRequest } from '../http/client.js';
import type { Delivery } from './delivery.js';
import { ACCEPTED_SECRET_HEADERS, configuredSecret, DEFAULT_SECRET_HEADER } from './secret.js';
import { checkHttpUrl } from '../http/url.js';

export interface ForwardTarget {
  /** The local app's webhook URL. */
  url: string;
  /** Sent in `secretHeader`, so the app checks the same secret SendTalk sends. Without it, no secret header. */
  secret?: string;
  /**
   * The header to send it in. Unset: the accepted header the delivery carried its secret in
   * (`X-Secret-Key` or `Secret-Key`), so the app sees what SendTalk sent; else `X-Secret-Key`.
   */
  secretHeader?: string;
  /** Bound on the app's answer. @default 10_000 */
  timeoutMs?: number;
}

/** What the local app answered, or why it did not; never an exception, a down app is not fatal. */
export type ForwardResult = { url: string; status: number; ms: number } | { url: string; error: string; ms: number };

/** The header a forwarded delivery carries: the listener that sees it again does not pass it on. */
export const FORWARDED_HEADER = 'x-sendtalk-verify-forwarded';

/**
 * True when `url` reaches the listener itself (a loopback or unspecified host on its port):
 * forwarding there would pass each delivery to itself again and again.
 */
export function pointsAtListener(url: string, listener: { host: string; port: number }): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
  if (port !== listener.port) return false;
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const bound = listener.host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === bound ||
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\./.test(host) ||
    host === '::1' ||
    host === '0.0.0.0' ||
    host === '::' ||
    bound === '0.0.0.0' ||
    bound === '::'
  );
}

/** Checks `--forward-to` before anything starts. */
export function checkForwardUrl(url: string): string {
  const parsed = checkHttpUrl(url, '--forward-to', "Pass your app's webhook URL, e.g. --forward-to http://localhost:3000/webhooks/sendtalk.");
  return parsed.href;
}

/**
 * Passes an accepted delivery to a local app: a POST with the body bytes exactly as received (so a
 * signature or a byte-level comparison in the app still holds), its content type and user agent,
 * and the secret header set to the configured secret (the listener only kept a masked copy).
 */
export async function forwardDelivery(delivery: Delivery, target: ForwardTarget): Promise<ForwardResult> {
  // Forwarded once already (by this tool, here or elsewhere): passing it on again could loop forever.
  if (delivery.headers[FORWARDED_HEADER] !== undefined) {
    return { url: target.url, error: `not forwarded: it carries ${FORWARDED_HEADER}, so sendtalk-verify forwarded it already (a loop?)`, ms: 0 };
  }
  const headers: Record<string, string | number> = {
    'content-type': delivery.headers['content-type'] ?? 'application/json',
    'content-length': delivery.body.length,
    'user-agent': delivery.headers['user-agent'] ?? 'sendtalk-verify',
    [FORWARDED_HEADER]: String(delivery.seq),
  };
  const secret = configuredSecret(target.secret);
  if (secret !== undefined) {
    const cameIn = ACCEPTED_SECRET_HEADERS.find((name) => delivery.headers[name.toLowerCase()] !== undefined);
    headers[target.secretHeader ?? cameIn ?? DEFAULT_SECRET_HEADER] = secret;
  }
  try {
    const answer = await sendRequest(target.url, { method: 'POST', headers, body: delivery.body, timeoutMs: target.timeoutMs ?? 10_000, maxBodyBytes: 0 });
    return { url: target.url, status: answer.status, ms: answer.ms };
  } catch (error) {
    const failure = error instanceof SendFailure ? error : new SendFailure('EUNKNOWN', (error as Error).message, 0);
    return { url: target.url, error: failure.message, ms: failure.ms };
  }
}
