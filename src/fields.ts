/**
 * Tolerant field lookup. SendTalk has not published the names of several response and webhook
 * fields, so every lookup goes through a list of likely aliases, compared without case, `_` or `-`.
 */
export type JsonObject = Record<string, unknown>;

export const FIELD_ALIASES = {
  id: ['verificationID', 'verificationId', 'verification_id', 'id'],
  link: ['waLink', 'whatsappLink', 'whatsappMessageLink', 'waMeLink', 'deepLink', 'link', 'url'],
  message: ['waMessage', 'whatsappMessage', 'whatsappMessageText', 'messageText', 'message', 'text'],
  qr: ['qrCode', 'qrCodeURL', 'qrCodeUrl', 'qrCodeImage', 'qr'],
  phone: ['userPhone', 'phone', 'phoneNumber', 'msisdn', 'whatsappNumber'],
  expiry: ['expiredTime', 'expiryTime', 'expiresAt', 'expiredAt', 'expiry', 'expiredTimestamp'],
  /** A field that is literally the event's status: it decides whether the delivery says "verified". */
  status: ['status', 'verificationStatus', 'state', 'result'],
  /** The kind of event: read for a status only when no status field exists, and only for a verdict word in it. */
  eventType: ['event', 'eventType', 'type'],
} as const satisfies Record<string, readonly string[]>;

export type FieldName = keyof typeof FIELD_ALIASES;

const normalise = (key: string): string => key.toLowerCase().replace(/[_-]/g, '');

/** The aliases of each field, normalised once. */
const NORMALISED_ALIASES = Object.fromEntries(Object.entries(FIELD_ALIASES).map(([field, aliases]) => [field, aliases.map(normalise)])) as Record<
  FieldName,
  string[]
>;

/**
 * Normalised keys, remembered: the listener looks up the same few payload keys on every delivery.
 * Bounded, so that a stream of payloads with ever new keys cannot grow it without end.
 */
const normalisedKeys = new Map<string, string>();
function normaliseKey(key: string): string {
  let n = normalisedKeys.get(key);
  if (n === undefined) {
    if (normalisedKeys.size >= 1024) normalisedKeys.clear();
    n = normalise(key);
    normalisedKeys.set(key, n);
  }
  return n;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Finds the first alias of `field` present in `obj` (aliases in order of preference), then, when
 * `depth` allows, in the objects one level down. Returns the value and the path it was found at.
 * Where two keys normalise alike (`userPhone`, `user_phone`), the first in the object counts.
 */
export function findField(obj: unknown, field: FieldName, depth = 0): { value: unknown; path: string } | undefined {
  if (!isJsonObject(obj)) return undefined;
  const keys = Object.keys(obj);
  const normalised = keys.map(normaliseKey);
  for (const alias of NORMALISED_ALIASES[field]) {
    const at = normalised.indexOf(alias);
    if (at < 0) continue;
    const key = keys[at]!;
    const value = obj[key];
    if (value !== null && value !== undefined && value !== '') return { value, path: key };
  }
  if (depth > 0) {
    for (const key of keys) {
      const child = obj[key];
      if (!isJsonObject(child)) continue;
      const found = findField(child, field, depth - 1);
      if (found) return { value: found.value, path: `${key}.${found.path}` };
    }
  }
  return undefined;
}

/** Like `findField` but only returns scalar values, as a string (ids may arrive as numbers). */
export function findString(obj: unknown, field: FieldName, depth = 0): string | undefined {
  const found = findField(obj, field, depth);
  if (!found) return undefined;
  const { value } = found;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Accepts an ISO date, epoch seconds or epoch milliseconds; returns ISO or undefined. */
export function toIsoTime(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    const ms = value < 1e11 ? value * 1000 : value;
    const date = new Date(ms);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  if (typeof value === 'string' && value.trim() !== '') {
    if (/^\d+$/.test(value)) return toIsoTime(Number(value));
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  return undefined;
}
