import type { JsonObject } from '../fields.js';

/**
 * SendTalk's response envelope. Errors are answered with HTTP 200 too; `status` carries the real
 * code, and `data` is `{}` (as the vendor's examples show).
 */
export interface Envelope {
  status: number;
  error: { code: string; message: string; field: string };
  data: JsonObject;
}

export function successEnvelope(data: JsonObject): Envelope {
  return { status: 200, error: { code: '', message: '', field: '' }, data };
}

export function errorEnvelope(status: number, code: string, message: string, field = ''): Envelope {
  return { status, error: { code, message, field }, data: {} };
}
