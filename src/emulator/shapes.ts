import { FIELD_ALIASES, isJsonObject, type JsonObject } from '../fields.js';
import { HEADER_NAME } from '../webhook/secret.js';
import type { EmulatedVerification, EmulatorShape } from './types.js';

// The shape type itself lives in types.ts, with the options that take it; re-exported for its users here.
export type { EmulatorShape } from './types.js';

export const DEFAULT_SHAPE: Readonly<EmulatorShape> = { responseAliases: 0, responseNested: false, webhook: 'flat', webhookStatus: 'verified' };

/** The fields of the create answer, each named by one of its aliases in `FIELD_ALIASES`. */
const RESPONSE_FIELDS = ['id', 'link', 'message', 'qr', 'phone', 'expiry'] as const;

/** How many alias sets there are: as many as the field with the most aliases has. */
export const RESPONSE_ALIAS_SETS = Math.max(...RESPONSE_FIELDS.map((field) => FIELD_ALIASES[field].length));

/** The create answer's `data` for a verification, in the given shape. */
export function createAnswerData(v: EmulatedVerification, shape: EmulatorShape): JsonObject {
  const set = shape.responseAliases;
  const name = (field: (typeof RESPONSE_FIELDS)[number]): string => {
    const aliases = FIELD_ALIASES[field];
    return aliases[Math.min(set, aliases.length - 1)]!;
  };
  const fields: JsonObject = {
    [name('id')]: v.id,
    [name('phone')]: v.phone,
    [name('link')]: v.link,
    [name('message')]: v.message,
    [name('qr')]: v.link,
    [name('expiry')]: set % 2 === 1 ? v.expiresAt : Date.parse(v.expiresAt),
  };
  return shape.responseNested ? { verification: fields } : fields;
}

/** Reads a shape change from the control API or `startEmulator`'s options; a string says what is wrong. */
export function parseShape(body: unknown): Partial<EmulatorShape> | string {
  if (!isJsonObject(body)) return 'the body must be a JSON object like {"responseAliases":2,"webhook":"wrapped","webhookStatus":"failed"}';
  const out: Partial<EmulatorShape> = {};
  const { responseAliases, responseNested, webhook, webhookStatus } = body;
  if (responseAliases !== undefined) {
    if (typeof responseAliases !== 'number' || !Number.isInteger(responseAliases) || responseAliases < 0 || responseAliases >= RESPONSE_ALIAS_SETS) {
      return `"responseAliases" must be a whole number from 0 to ${RESPONSE_ALIAS_SETS - 1}`;
    }
    out.responseAliases = responseAliases;
  }
  if (responseNested !== undefined) {
    if (typeof responseNested !== 'boolean') return '"responseNested" must be true or false';
    out.responseNested = responseNested;
  }
  if (webhook !== undefined) {
    if (webhook !== 'flat' && webhook !== 'wrapped') return '"webhook" must be "flat" or "wrapped"';
    out.webhook = webhook;
  }
  if (webhookStatus !== undefined) {
    // It travels in a JSON body, but keep it a short printable word: it is shown in logs.
    if (typeof webhookStatus !== 'string' || !HEADER_NAME.test(webhookStatus) || webhookStatus.length > 40)
      return '"webhookStatus" must be a short word such as "verified" or "failed"';
    out.webhookStatus = webhookStatus;
  }
  return out;
}
