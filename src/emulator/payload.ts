import type { JsonObject } from '../fields.js';
import type { EmulatedVerification } from './types.js';

/** What the verified event is built from; an `EmulatedVerification` is one. */
export type VerifiedEventFacts = Pick<EmulatedVerification, 'id' | 'phone' | 'languageCode'> & { verifiedAt?: string };

/**
 * The verified webhook the emulator (and `trigger`) sends. SendTalk has not published the payload's
 * field names; these follow the names of its create request and response (`userPhone`,
 * `verificationID`, `…Time` as epoch milliseconds), which listeners match tolerantly anyway.
 */
export function verifiedPayload(v: VerifiedEventFacts): JsonObject {
  return {
    verificationID: v.id,
    userPhone: v.phone,
    status: 'verified',
    verifiedTime: Date.parse(v.verifiedAt ?? new Date().toISOString()),
    languageCode: v.languageCode,
  };
}
