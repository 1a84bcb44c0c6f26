import { SendtalkVerifyError } from '../errors.js';
import { FIELD_ALIASES, findString, findField, isJsonObject, toIsoTime, type JsonObject } from '../fields.js';
import { httpUrl } from '../http/url.js';

/** A created verification, as understood from SendTalk's (partly unpublished) response shape. */
export interface Verification {
  /** The verification ID: store it with a status in your own database. */
  id: string;
  /** The phone number, digits with country code. */
  phone: string;
  /** The wa.me deep link that opens WhatsApp with the verification message pre-filled. */
  link: string;
  /** The message the user must send unchanged (from the response, else decoded from the link). */
  message?: string;
  /** The QR code value as SendTalk gave it (a URL or an image data URI), if any. */
  qr?: string;
  /** When the verification expires (ISO 8601), if known. */
  expiresAt?: string;
  /** The `data` object exactly as received, for fields this tool does not know. */
  raw: JsonObject;
}

/**
 * Reads a verification out of the envelope's `data`, accepting the likely aliases of each field
 * at the top level or one level down. A missing id or link is an error that lists what was there.
 */
export function parseVerification(data: unknown, sentPhone: string): Verification {
  if (!isJsonObject(data)) {
    throw new SendtalkVerifyError(
      'api-unavailable',
      `SendTalk answered success but its "data" is ${data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data}, not an object.`,
      { hint: 'Run again with --debug to see the raw answer, and report it if it persists.' },
    );
  }
  const id = findString(data, 'id', 1);
  const foundLink = findString(data, 'link', 1);
  // The link is shown, drawn as a QR code and opened: only a web address will do (not `42`, not `javascript:`).
  const link = foundLink !== undefined && httpUrl(foundLink) !== undefined ? foundLink : undefined;
  const missing: string[] = [];
  if (!id) missing.push(`verification id (looked for ${FIELD_ALIASES.id.join(', ')})`);
  if (!link) {
    missing.push(
      foundLink === undefined
        ? `WhatsApp link (looked for ${FIELD_ALIASES.link.join(', ')})`
        : `usable WhatsApp link (${JSON.stringify(foundLink.slice(0, 60))} is not an http(s) URL)`,
    );
  }
  if (missing.length > 0 || !id || !link) {
    const keys = Object.keys(data);
    throw new SendtalkVerifyError(
      'api-unavailable',
      `SendTalk's answer has no ${missing.join(' and no ')}. Its data has: ${keys.length ? keys.join(', ') : 'no keys'}.`,
      { hint: 'The response shape may have changed: run with --debug and report the field names.', details: { keys } },
    );
  }
  const message = findString(data, 'message', 1) ?? messageFromLink(link);
  const qr = findString(data, 'qr', 1);
  const expiry = findField(data, 'expiry', 1);
  return {
    id,
    phone: findString(data, 'phone', 1)?.replace(/^\+/, '') ?? sentPhone,
    link,
    message,
    qr,
    expiresAt: expiry ? toIsoTime(expiry.value) : undefined,
    raw: data,
  };
}

/** wa.me links carry the pre-filled message in `?text=`; used when the response has no message field. */
export function messageFromLink(link: string): string | undefined {
  try {
    return new URL(link).searchParams.get('text') ?? undefined;
  } catch {
    return undefined;
  }
}
