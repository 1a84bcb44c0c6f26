import type { IncomingMessage } from 'node:http';
import { REDACTED } from '../mask.js';
import type { RequestMasker } from './mask-request.js';
import { truncate } from './truncate.js';

/** Headers that carry credentials whatever the configuration says. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'api-key']);

/**
 * The request's headers fit to print or log. The secret headers are masked whole (even a wrong secret
 * may be the right one with a typo), and so is any other header that carries the configured secret
 * (a sender using another header name) or a credential.
 */
export function maskedHeaders(req: IncomingMessage, secretHeaders: ReadonlySet<string>, masker: RequestMasker | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const headers = req.headers;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    const sensitive = secretHeaders.has(name) || CREDENTIAL_HEADERS.has(name) || (masker !== undefined && masker.carriesSecret(text));
    out[name] = sensitive ? REDACTED : truncate(text, 512);
  }
  return out;
}
