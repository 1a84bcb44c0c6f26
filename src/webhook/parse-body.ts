import { isJsonObject, type JsonObject } from '../fields.js';
import { quoteBigIntegers } from '../json-big-integers.js';
import { LONG_INTEGER, scanJson, TOO_DEEP } from './json-scan.js';
import type { Refusal } from './refusal.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The body as a JSON object, or why it is not one. */
export function parseBody(body: Buffer, maxJsonDepth: number): JsonObject | Refusal {
  let text: string;
  try {
    // Fatal decoding: invalid UTF-8 must not be "repaired" into a valid-looking payload.
    text = UTF8.decode(body);
  } catch {
    return [400, 'not-json', 'the body is not valid UTF-8'];
  }
  const scan = scanJson(text, maxJsonDepth);
  if (scan & TOO_DEEP) {
    return [400, 'too-deep', `the body nests more than ${maxJsonDepth} levels`];
  }
  let payload: unknown;
  try {
    payload = scan & LONG_INTEGER ? JSON.parse(quoteBigIntegers(text)) : JSON.parse(text);
  } catch {
    return [400, 'not-json', body.length === 0 ? 'the body is empty' : 'the body is not valid JSON'];
  }
  if (isJsonObject(payload)) return payload;
  return [400, 'not-object', `the body is JSON ${Array.isArray(payload) ? 'array' : payload === null ? 'null' : typeof payload}, not an object`];
}
