import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * RFC 9110 token characters: what an HTTP header name may contain (Node throws on anything else).
 * Here, beside the secret's header, because `--secret-header` is checked with it when the CLI starts.
 */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The header this tool sends the secret in wherever it plays SendTalk (the emulator, `trigger`,
 * `doctor`'s test delivery). SendTalk has not published the verification webhook's header; TapTalk's
 * documented webhooks send the raw secret to *your* URL in `X-Secret-Key` (`Secret-Key` is the one
 * *you* send *to* TapTalk). Configurable with SENDTALK_SECRET_HEADER.
 */
export const DEFAULT_SECRET_HEADER = 'X-Secret-Key';

/** Where the listener looks for the secret unless SENDTALK_SECRET_HEADER pins one header: either counts. */
export const ACCEPTED_SECRET_HEADERS: readonly string[] = [DEFAULT_SECRET_HEADER, 'Secret-Key'];

/**
 * The one rule for "is a secret configured": an absent or empty (or blank) value is no secret. A
 * `SENDTALK_WEBHOOK_SECRET=` line left empty in a `.env` template means "not set", everywhere.
 */
export function configuredSecret(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** The headers the listener reads the secret from: the pinned one, or the accepted defaults. */
export function secretHeadersFor(pinned: string | undefined): readonly string[] {
  return pinned === undefined || pinned === '' ? ACCEPTED_SECRET_HEADERS : [pinned];
}

/** `X-Secret-Key or Secret-Key`, for messages. */
export function describeSecretHeaders(headers: readonly string[]): string {
  return headers.length <= 1 ? (headers[0] ?? DEFAULT_SECRET_HEADER) : `${headers.slice(0, -1).join(', ')} or ${headers.at(-1)}`;
}

export type SecretVerdict = 'ok' | 'missing' | 'mismatch';

/**
 * Compares the secret a request carried with the expected one in constant time: the time taken
 * depends neither on where they differ nor on either length (see `secretChecker`).
 * A repeated header (an array, or values joined by Node) is a mismatch, never a partial match.
 *
 * Given a request's whole headers (`req.headers`), it follows the listener's rule: the secret in
 * `X-Secret-Key` or `Secret-Key`, or only in `secretHeader` when one is given.
 */
export function checkSecret(received: string | readonly string[] | undefined, expected: string): SecretVerdict;
export function checkSecret(headers: IncomingHttpHeaders, expected: string, secretHeader?: string): SecretVerdict;
export function checkSecret(received: string | readonly string[] | IncomingHttpHeaders | undefined, expected: string, secretHeader?: string): SecretVerdict {
  if (typeof received === 'object' && !Array.isArray(received)) {
    return requestSecretChecker(expected, secretHeadersFor(secretHeader))(received as IncomingHttpHeaders);
  }
  return secretChecker(expected)(received as string | readonly string[] | undefined);
}

/** How many bytes of a received secret are compared; a longer value is a mismatch. */
const COMPARED_BYTES = 512;

/**
 * `checkSecret` with the expected secret laid out once, for a listener that checks every request.
 * Both sides are written into buffers of one fixed size (zero-filled past their end) and compared
 * whole with `timingSafeEqual`, then their lengths: the comparison never depends on where they differ
 * and does not leak the secret's length. It costs a copy where hashing both sides cost a hash, on
 * every request (a quarter of the time; the listener's hot path). A value longer than the width is
 * a mismatch, after the same comparison as any other.
 */
export function secretChecker(expected: string): (received: string | readonly string[] | undefined) => SecretVerdict {
  const width = Math.max(COMPARED_BYTES, Buffer.byteLength(expected, 'utf8'));
  const expectedBytes = Buffer.alloc(width);
  const expectedLength = expectedBytes.write(expected, 'utf8');
  const receivedBytes = Buffer.alloc(width);
  return (received) => {
    if (received === undefined) return 'missing';
    const value = typeof received === 'string' ? received : received.length === 1 ? received[0]! : undefined;
    if (value === '') return 'missing';
    if (value === undefined) return 'mismatch';
    receivedBytes.fill(0);
    // A value longer than the width is not written: the zero bytes are compared all the same.
    const fits = Buffer.byteLength(value, 'utf8') <= width;
    const length = fits ? receivedBytes.write(value, 'utf8') : -1;
    return timingSafeEqual(receivedBytes, expectedBytes) && fits && length === expectedLength ? 'ok' : 'mismatch';
  };
}

/**
 * The secret check of a whole request: `ok` when any of `headerNames` carries the secret, `missing`
 * when none of them is there, `mismatch` otherwise. Pinned to `Authorization`, the token of a
 * `Bearer` value is what is compared (that is how such senders put it).
 */
export function requestSecretChecker(expected: string, headerNames: readonly string[]): (headers: IncomingHttpHeaders) => SecretVerdict {
  const check = secretChecker(expected);
  const names = headerNames.map((name) => name.toLowerCase());
  return (headers) => {
    let verdict: SecretVerdict = 'missing';
    for (const name of names) {
      let value = headers[name];
      if (name === 'authorization' && typeof value === 'string') value = bearerToken(value) ?? value;
      const one = check(value);
      if (one === 'ok') return 'ok';
      if (one === 'mismatch') verdict = 'mismatch';
    }
    return verdict;
  };
}

/** Where a request carried the secret when it was not in an accepted header. Never holds the value. */
export type SecretLocation = { in: 'header'; name: string } | { in: 'bearer'; name: 'Authorization' } | { in: 'query'; name: string };

/**
 * Looks for the expected secret elsewhere in a request refused as "secret missing": in another
 * header's value, an `Authorization: Bearer` token, or a query parameter. Each candidate is compared
 * in constant time; only the *name* of where it was is returned. `rawHeaders` gives the names as sent.
 */
export function locateSecret(rawHeaders: readonly string[], url: string, expected: string): SecretLocation | undefined {
  const check = secretChecker(expected);
  let found: SecretLocation | undefined;
  // Every candidate is compared, found or not, so the time taken does not say which one matched.
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!.trim();
    if (check(value) === 'ok') found ??= { in: 'header', name };
    const token = name.toLowerCase() === 'authorization' ? bearerToken(value) : undefined;
    if (token !== undefined && check(token) === 'ok') found ??= { in: 'bearer', name: 'Authorization' };
  }
  const query = url.indexOf('?');
  if (query >= 0) {
    for (const [name, value] of new URLSearchParams(url.slice(query + 1))) {
      if (check(value) === 'ok') found ??= { in: 'query', name };
    }
  }
  return found;
}

/** The sentence that says where the secret came and what fixes it; names only, never the value. */
export function describeSecretLocation(location: SecretLocation): string {
  switch (location.in) {
    case 'header':
      return `the secret came in ${location.name}: set SENDTALK_SECRET_HEADER=${location.name}`;
    case 'bearer':
      return 'the secret came as an Authorization Bearer token: set SENDTALK_SECRET_HEADER=Authorization';
    case 'query':
      return `the secret came in the query string (parameter ${location.name}): send it in a header instead (${DEFAULT_SECRET_HEADER}, as SendTalk does)`;
  }
}

function bearerToken(value: string): string | undefined {
  const match = /^bearer\s+(.+)$/i.exec(value.trim());
  return match ? match[1]!.trim() : undefined;
}
