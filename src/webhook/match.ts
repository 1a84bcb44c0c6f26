import { findString, isJsonObject } from '../fields.js';

/** What a webhook payload says about which verification it is for (names are unpublished). */
export interface DeliveryFacts {
  verificationId?: string;
  phone?: string;
  /** The payload's own status (e.g. `verified`, `failed`), when it has one. */
  payloadStatus?: string;
  /**
   * Where `payloadStatus` came from: a field that is literally a status, or the event's kind
   * (`type`/`event`), which only counts when it carries a verdict word.
   */
  payloadStatusFrom?: 'status' | 'event-type';
}

/**
 * Reads id, phone and status at the top level or one level down (TapTalk's webhooks wrap their
 * content: `{"type":…,"<object>":{…,"status":…}}`), under any known alias. A status field anywhere
 * in reach is preferred to a top-level `type`, which names the kind of event, not its outcome.
 */
export function extractDeliveryFacts(payload: unknown): DeliveryFacts {
  if (!isJsonObject(payload)) return {};
  const facts: DeliveryFacts = {};
  const id = findString(payload, 'id', 1);
  const phone = findString(payload, 'phone', 1);
  if (id !== undefined) facts.verificationId = id;
  if (phone !== undefined) facts.phone = phone;
  const status = findString(payload, 'status', 1);
  const eventType = status === undefined ? findString(payload, 'eventType', 1) : undefined;
  if (status !== undefined) {
    facts.payloadStatus = status;
    facts.payloadStatusFrom = 'status';
  } else if (eventType !== undefined) {
    facts.payloadStatus = eventType;
    facts.payloadStatusFrom = 'event-type';
  }
  return facts;
}

/**
 * What one word of a status says, compared without case, as a whole word: `verified` for the words
 * of success, `not-verified` for those that say it did not whatever else the status says
 * (`not_verified`, `verification.failed`), undefined for the rest. A switch, not sets built when the
 * module loads: each word is then code that `npm run mutate` can take out, and a test names each one
 * (verified-words.test.ts).
 */
function wordSays(word: string): 'verified' | 'not-verified' | undefined {
  switch (word) {
    case 'verified':
    case 'success':
    case 'succeeded':
    case 'successful':
    case 'succeed':
    case 'ok':
    case 'complete':
    case 'completed':
    case 'done':
    case 'valid':
    case 'approved':
    case 'confirmed':
    case 'true':
      return 'verified';
    case 'not':
    case 'no':
    case 'unverified':
    case 'fail':
    case 'failed':
    case 'failure':
    case 'error':
    case 'rejected':
    case 'reject':
    case 'expired':
    case 'invalid':
    case 'denied':
    case 'cancelled':
    case 'canceled':
    case 'timeout':
    case 'false':
    case 'pending':
    case 'unsuccessful':
      return 'not-verified';
    default:
      return undefined;
  }
}

/** `VERIFICATION_SUCCESS`, `verification.verified`, `verifiedOK` → their words, lower case. */
function words(text: string): string[] {
  return text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * Whether a matched delivery says the verification succeeded. Without a status it does (the seed
 * says the webhook is sent when a verification succeeds). A status field counts only when a word of
 * it says success (`verified`, `success`, an HTTP-like 2xx…) and none says otherwise. The event's
 * kind (`type`/`event`) is no status: it decides only when it carries such a word.
 */
export function eventVerdict(facts: DeliveryFacts): 'verified' | 'not-verified' {
  if (facts.payloadStatus === undefined) return 'verified';
  const w = words(facts.payloadStatus);
  if (w.some((word) => wordSays(word) === 'not-verified')) return 'not-verified';
  if (facts.payloadStatusFrom === 'event-type') return 'verified';
  return w.some((word) => wordSays(word) === 'verified' || /^2\d\d$/.test(word)) ? 'verified' : 'not-verified';
}

const digitsOnly = (phone: string): string => phone.replace(/\D/g, '');

/**
 * Decides whether a delivery is for the verification we wait for: by id when the payload has one
 * (a different id never matches), else by phone number.
 */
export function matchDelivery(facts: DeliveryFacts, target: { id: string; phone: string }): 'id' | 'phone' | undefined {
  if (facts.verificationId !== undefined) return facts.verificationId === target.id ? 'id' : undefined;
  if (facts.phone !== undefined && digitsOnly(facts.phone) !== '' && digitsOnly(facts.phone) === digitsOnly(target.phone)) return 'phone';
  return undefined;
}
