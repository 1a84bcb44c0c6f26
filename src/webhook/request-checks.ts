import type { IncomingMessage } from 'node:http';
import type { Delivery } from './listener-types.js';
import type { ListenerState } from './listener-state.js';
import { PROBE_HEADER } from './listener-types.js';
import type { Refusal } from './refusal.js';
import { describeSecretLocation, locateSecret } from './secret.js';
import { truncate } from './truncate.js';

/** True for the end-to-end probe of this listener (see `ListenerOptions.probeToken`). */
export function isProbe(req: IncomingMessage, path: string, token: string | undefined): boolean {
  if (token === undefined || token === '') return false;
  return req.headers[PROBE_HEADER.toLowerCase()] === token && (req.url ?? '/').split('?')[0] === path;
}

/** What can be refused from the request head alone, before any of the body is read. */
export function checkHead(state: ListenerState, req: IncomingMessage, delivery: Delivery): Refusal | undefined {
  const { limits, path, masker, maxBody } = state;
  if (req.rawHeaders.length / 2 > limits.maxHeadersCount) {
    return [431, 'too-many-headers', `more than ${limits.maxHeadersCount} headers`];
  }
  const requestPath = (req.url ?? '/').split('?')[0]!;
  if (requestPath !== path) return [404, 'not-found', `nothing listens at ${truncate(masker ? masker.path(requestPath) : requestPath, 80)}; deliveries go to ${path}`];
  if (req.method !== 'POST') return [405, 'method-not-allowed', `${req.method} is not allowed; SendTalk delivers with POST`, { allow: 'POST' }];
  if (state.matchesSecret) {
    const verdict = state.matchesSecret(req.headers);
    if (verdict === 'missing') return [401, 'secret-missing', missingSecretDetail(state, req, delivery)];
    if (verdict === 'mismatch') return [401, 'secret-mismatch', `the ${state.expectedHeaders} header does not match the configured secret`];
  }
  const contentType = (req.headers['content-type'] ?? '').toLowerCase().trim();
  // A missing type is tolerated (SendTalk's headers are unpublished); a declared non-JSON one is not.
  if (contentType !== '' && !isJsonContentType(contentType)) {
    return [415, 'unsupported-media-type', `content type ${truncate(contentType, 60)} is not JSON`];
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBody) {
    return [413, 'too-large', `body of ${declared} bytes is over the ${maxBody}-byte limit`];
  }
  return undefined;
}

/**
 * Why no secret was found, and where it did come when it came elsewhere: the name of that header
 * (or query parameter) and the flag that fixes it; else the names of the headers that came.
 * Only refused requests pay for this search.
 */
function missingSecretDetail(state: ListenerState, req: IncomingMessage, delivery: Delivery): string {
  const expectedHeaders = state.expectedHeaders;
  const location = locateSecret(req.rawHeaders, req.url ?? '/', state.secret!);
  if (location) {
    delivery.secretLocation = location;
    return `no ${expectedHeaders} header; ${describeSecretLocation(location)}`;
  }
  const names = [...new Set(req.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase()))];
  const shown = names.slice(0, 20).map((name) => truncate(name, 40)).join(', ');
  return `no ${expectedHeaders} header (headers that came: ${shown || 'none'}${names.length > 20 ? ', …' : ''})`;
}

/** `application/json`, `application/<anything>+json`, with or without parameters. */
function isJsonContentType(contentType: string): boolean {
  return /^application\/([\w.-]+\+)?json\s*(;|$)/.test(contentType);
}
