import type { LanguageCode } from '../client/create-verification.js';
import type { JsonObject } from '../fields.js';
import type { EmulatedVerification } from './types.js';

// What the emulator sends as SendTalk would: the WhatsApp message a verification asks the user to
// send, its wa.me link, and the verified webhook's payload (`trigger` sends the same payload).

/**
 * The verification message the emulator puts in its wa.me link. SendTalk's real wording is not
 * published; this one carries what matters for testing: a per-verification code, and the app URL.
 */
export function verificationMessage(language: LanguageCode, code: string, appUrl?: string): string {
  const back = appUrl ? (language === 'id' ? ` Kembali ke aplikasi: ${appUrl}` : ` Back to the app: ${appUrl}`) : '';
  return language === 'id'
    ? `Halo SendTalk, saya ingin memverifikasi nomor WhatsApp saya. Kode verifikasi: ${code}. Jangan ubah pesan ini.${back}`
    : `Hi SendTalk, I want to verify my WhatsApp number. Verification code: ${code}. Please do not change this message.${back}`;
}

export function waMeLink(businessNumber: string, message: string): string {
  return `https://wa.me/${businessNumber}?text=${encodeURIComponent(message)}`;
}

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
