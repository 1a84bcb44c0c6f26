import { randomBytes, randomUUID } from 'node:crypto';
import type { LanguageCode } from '../client/create-verification.js';
import { SendtalkVerifyError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../fields.js';
import { verifiedPayload } from '../emulator/messages.js';
import { parsePhone } from '../phone.js';
import { extractDeliveryFacts } from '../webhook/match.js';

/** The phone number in the built-in event when none is given (an Indonesian mobile, like most of SendTalk's users). */
export const DEFAULT_EVENT_PHONE = '6281234567890';

export interface EventFacts {
  /** Verification id in the event. @default a random UUID */
  id?: string;
  /** Phone number, any common notation; sent as digits with the country code. @default '6281234567890' */
  phone?: string;
  /** @default 'en' */
  language?: LanguageCode;
}

/** A verified event ready to send: its exact bytes, and what it says. */
export interface VerifiedEvent {
  body: Buffer;
  id?: string;
  phone?: string;
  /** `built-in` is the emulator's payload; `file` is `--payload`, sent byte for byte. */
  source: 'built-in' | 'file';
}

/** The emulator's verified payload, for the given id and phone: what SendTalk sends on a success. */
export function builtInEvent(facts: EventFacts = {}): VerifiedEvent {
  if (facts.id !== undefined && facts.id.trim() === '') {
    throw new SendtalkVerifyError('usage', 'The verification id is empty.', { hint: 'Pass --id with a value, or omit it for a random one.' });
  }
  const id = facts.id ?? randomUUID();
  const phone = parsePhone(facts.phone ?? DEFAULT_EVENT_PHONE).digits;
  const payload = verifiedPayload({ id, phone, languageCode: facts.language ?? 'en', verifiedAt: new Date().toISOString() });
  return { body: Buffer.from(JSON.stringify(payload), 'utf8'), id, phone, source: 'built-in' };
}

/** An event read from a file: sent unchanged, so a captured real payload can be replayed exactly. */
export function fileEvent(bytes: Buffer): VerifiedEvent {
  const payload = parseObject(bytes);
  // Read the way the listener reads a delivery: any alias, at the top level or one level down.
  const { verificationId: id, phone } = extractDeliveryFacts(payload);
  return { body: bytes, id, phone, source: 'file' };
}

/** Parses the bytes as a JSON object, or undefined. */
export function parseObject(bytes: Buffer): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return isJsonObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The same event grown to exactly `size` bytes with a padding field: still valid JSON with the
 * right secret, so the only reason to refuse it is its size.
 */
export function oversizedBody(event: JsonObject, size: number): Buffer {
  const empty = JSON.stringify({ ...event, padding: '' });
  const fill = Math.max(0, size - Buffer.byteLength(empty));
  return Buffer.from(JSON.stringify({ ...event, padding: 'x'.repeat(fill) }), 'utf8');
}

/**
 * The event cut in half: an object with no closing brace is never valid JSON, whatever the
 * cut. The start of a real event makes it look like a delivery that broke in transit.
 */
export function malformedBody(event: Buffer): Buffer {
  const text = event.toString('utf8').trimEnd();
  const cut = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  return Buffer.from(cut.startsWith('{') ? cut : `{"verificationID":`, 'utf8');
}

/**
 * A wrong secret of the same length as the right one (so an endpoint that compares only lengths
 * is caught), sharing none of its characters at any position.
 */
export function wrongSecretFor(secret: string): string {
  const length = Math.max(1, secret.length);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const random = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) {
    let c = alphabet[random[i]! % alphabet.length]!;
    if (c === secret[i]) c = alphabet[(random[i]! + 1) % alphabet.length]!;
    out += c;
  }
  return out;
}
