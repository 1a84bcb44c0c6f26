import { USER_AGENT } from '../version.js';
import { builtInEvent, type VerifiedEvent } from './event.js';
import { is2xx, sendForOutcome, type Outcome } from './outcome.js';
import { resolveTarget, type TriggerTarget } from './target.js';

export interface SendEventOptions extends TriggerTarget {
  /** @default the built-in verified event */
  event?: VerifiedEvent;
}

export interface SendReport {
  url: string;
  /** The endpoint answered 2xx. */
  passed: boolean;
  event: { source: VerifiedEvent['source']; verificationId: string | null; phone: string | null; bytes: number };
  secretHeader: string;
  /** Whether the secret header was sent (its value never is reported). */
  secretSent: boolean;
  got: Outcome;
}

/** Sends one verified event, signed with the secret when there is one, and reports the answer. */
export async function sendEvent(options: SendEventOptions): Promise<SendReport> {
  const target = resolveTarget(options);
  const event = options.event ?? builtInEvent();
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': USER_AGENT };
  if (target.secret) headers[target.secretHeader] = target.secret;
  const got = await sendForOutcome(target, { url: target.url, method: 'POST', headers, body: event.body }, [target.secret]);
  return {
    url: target.url,
    passed: is2xx(got.status),
    event: { source: event.source, verificationId: event.id ?? null, phone: event.phone ?? null, bytes: event.body.length },
    secretHeader: target.secretHeader,
    secretSent: Boolean(target.secret),
    got,
  };
}
