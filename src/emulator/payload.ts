import type { JsonObject } from '../fields.js';
import type { EmulatedVerification } from './types.js';

/** What the verified event is built from; an `EmulatedVerification` is one. */
export type VerifiedEventFacts = Pick<EmulatedVerification, 'id' | 'phone' | 'languageCode'> & { verifiedAt?: string };

/**
 * The verified webhook the emulator (and `trigger`) sends. SendTalk has not published the payload's
 * field names; these follow the names of its create request and response (`userPhone`,
 * `verificationID`, `…Time` as epoch milliseconds), which listeners match tolerantly anyway.
 * `form.wrapped` puts them inside an object the way TapTalk's webhooks do
 * (`{"type":"whatsapp_verification_status","whatsappVerificationStatus":{…}}`); `form.status`
 * replaces `verified` (e.g. `failed`, to test a client's handling of an unsuccessful one).
 */
export function verifiedPayload(v: VerifiedEventFacts, form: { wrapped?: boolean; status?: string } = {}): JsonObject {
  const event: JsonObject = {
    verificationID: v.id,
    userPhone: v.phone,
    status: form.status ?? 'verified',
    verifiedTime: Date.parse(v.verifiedAt ?? new Date().toISOString()),
    languageCode: v.languageCode,
  };
  return form.wrapped ? { type: 'whatsapp_verification_status', whatsappVerificationStatus: event } : event;
}
