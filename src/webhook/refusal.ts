import type { RefusalReason } from './listener-types.js';

/** A refusal: status, reason, the sentence on why, and any header the answer needs. */
export type Refusal = [status: number, reason: RefusalReason, detail: string, extraHeaders?: Record<string, string>];

/** The short text of each refusal, sent back in the answer's `error`. */
export const REFUSAL_TEXT: Record<RefusalReason, string> = {
  'not-found': 'not found',
  'method-not-allowed': 'method not allowed',
  'secret-missing': 'secret key is missing',
  'secret-mismatch': 'secret key is invalid',
  'unsupported-media-type': 'body must be JSON',
  'too-large': 'body too large',
  'not-json': 'body is not valid JSON',
  'not-object': 'body must be a JSON object',
  'too-deep': 'body is nested too deeply',
  'too-many-headers': 'too many headers',
  'acknowledge-failed': 'could not record the delivery',
};

/**
 * Each refusal in the words a person scanning deliveries looks for: the terminal's delivery lines
 * and the local page say the same thing.
 */
export const REFUSAL_LABEL: Record<RefusalReason, string> = {
  'secret-missing': 'secret missing',
  'secret-mismatch': 'secret wrong',
  'not-json': 'not JSON',
  'not-object': 'not a JSON object',
  'too-large': 'too large',
  'too-deep': 'nested too deeply',
  'too-many-headers': 'too many headers',
  'unsupported-media-type': 'not JSON',
  'method-not-allowed': 'wrong method',
  'not-found': 'wrong path',
  'acknowledge-failed': 'not recorded',
};

/**
 * Whether each refusal is decided before the body is taken in (on the request's head, or on a
 * body over the size limit, which is never kept): such a delivery's body is empty because it was
 * not read, not because nothing was sent.
 */
export const REFUSED_BEFORE_BODY: Record<RefusalReason, boolean> = {
  'not-found': true,
  'method-not-allowed': true,
  'secret-missing': true,
  'secret-mismatch': true,
  'unsupported-media-type': true,
  'too-large': true,
  'too-many-headers': true,
  'not-json': false,
  'not-object': false,
  'too-deep': false,
  'acknowledge-failed': false,
};
