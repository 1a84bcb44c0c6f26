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
  status: ['status', 'verificationStatus', 'state', 'event', 'type'],
} as const satisfies Record<string, readonly string[]>;

export type FieldName = keyof typeof FIELD_ALIASES;

const normalise = (key: string): string => key.toLowerCase().replace(/[_-]/g, '');

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Finds the first alias of `field` present in `obj` (aliases in order of preference), then, when
 * `depth` allows, in the objects one level down. Returns the value and the path it was found at.
 */
export function findField(obj: unknown, field: FieldName, depth = 0): { value: unknown; path: string } | undefined {
  if (!isJsonObject(obj)) return undefined;
  const byNormalisedKey = new Map<string, string>();
  for (const key of Object.keys(obj)) {
    const n = normalise(key);
    if (!byNormalisedKey.has(n)) byNormalisedKey.set(n, key);
  }
  for (const alias of FIELD_ALIASES[field]) {
    const key = byNormalisedKey.get(normalise(alias));
    if (key !== undefined && obj[key] !== null && obj[key] !== undefined && obj[key] !== '') {
      return { value: obj[key], path: key };
    }
  }
  if (depth > 0) {
    for (const [key, child] of Object.entries(obj)) {
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
