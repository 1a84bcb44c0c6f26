import { isJsonObject } from '../fields.js';
import type { LanguageCode } from '../client/create-verification.js';
import { errorEnvelope, type Envelope } from './envelope.js';

export interface CreateRequest {
  userPhone: string;
  languageCode: LanguageCode;
  expiryMinutes?: number;
  appURL?: string;
}

/**
 * SendTalk's error codes, with the texts it sends (seen in a published client's test fixtures and
 * the vendor's examples; all with body status 400 on HTTP 200, and `"data":{}`).
 */
export const SENDTALK_ERRORS = {
  /** A bad parameter (`ParamValidationFailed` in the docs' error table), e.g. "Phone is required". */
  param: '40002',
  /** No `API-Key` header. */
  missingKey: { code: '40001', message: 'Request headers are required (API-Key)' },
  /** An `API-Key` SendTalk does not know. */
  unknownKey: { code: '49103', message: 'API-Key is not found' },
} as const;

export const PARAM_ERROR_CODE = SENDTALK_ERRORS.param;

/** Checks the `API-Key` header: missing is always refused; a wrong one only when a key is configured. */
export function validateApiKey(received: string | undefined, expected: string | undefined): Envelope | undefined {
  const { missingKey, unknownKey } = SENDTALK_ERRORS;
  if (!received || received.trim() === '') return errorEnvelope(400, missingKey.code, missingKey.message);
  if (expected !== undefined && received !== expected) return errorEnvelope(400, unknownKey.code, unknownKey.message);
  return undefined;
}

/** Validates a create request body the way SendTalk does, returning the error envelope or the request. */
export function validateCreateRequest(body: unknown): Envelope | CreateRequest {
  if (!isJsonObject(body)) return errorEnvelope(400, PARAM_ERROR_CODE, 'Request body must be a JSON object', 'body');
  const { userPhone, languageCode, expiryMinutes, appURL } = body;
  if (userPhone === undefined || userPhone === null || userPhone === '') {
    return errorEnvelope(400, PARAM_ERROR_CODE, 'Phone is required', 'phone');
  }
  if (typeof userPhone !== 'string' || !/^[1-9]\d{7,14}$/.test(userPhone)) {
    return errorEnvelope(400, PARAM_ERROR_CODE, 'Phone is invalid, use digits with country code', 'phone');
  }
  const language = languageCode === undefined || languageCode === '' ? 'en' : languageCode;
  if (language !== 'en' && language !== 'id') {
    return errorEnvelope(400, PARAM_ERROR_CODE, 'Language code must be en or id', 'languageCode');
  }
  let expiry: number | undefined;
  if (expiryMinutes !== undefined && expiryMinutes !== null && expiryMinutes !== '') {
    const n = typeof expiryMinutes === 'string' && /^\d+$/.test(expiryMinutes) ? Number(expiryMinutes) : expiryMinutes;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1440) {
      return errorEnvelope(400, PARAM_ERROR_CODE, 'Expiry minutes must be a whole number from 1 to 1440', 'expiryMinutes');
    }
    expiry = n;
  }
  if (appURL !== undefined && appURL !== null && typeof appURL !== 'string') {
    return errorEnvelope(400, PARAM_ERROR_CODE, 'App URL must be a string', 'appURL');
  }
  return { userPhone, languageCode: language, expiryMinutes: expiry, appURL: appURL || undefined };
}
