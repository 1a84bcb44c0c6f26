import { hash, timingSafeEqual } from 'node:crypto';

/** TapTalk's webhooks carry their secret in this header; configurable with `--secret-header`. */
export const DEFAULT_SECRET_HEADER = 'Secret-Key';

export type SecretVerdict = 'ok' | 'missing' | 'mismatch';

/**
 * Compares the secret a request carried with the expected one in constant time. Both sides are
 * hashed first so the comparison never depends on where they differ, nor leaks the length.
 * A repeated header (an array, or values joined by Node) is a mismatch, never a partial match.
 */
export function checkSecret(received: string | readonly string[] | undefined, expected: string): SecretVerdict {
  return secretChecker(expected)(received);
}

/** `checkSecret` with the expected secret hashed once, for a listener that checks every request. */
export function secretChecker(expected: string): (received: string | readonly string[] | undefined) => SecretVerdict {
  const expectedDigest = sha256(expected);
  return (received) => {
    if (received === undefined) return 'missing';
    const value = typeof received === 'string' ? received : received.length === 1 ? received[0]! : undefined;
    if (value === '') return 'missing';
    if (value === undefined) return 'mismatch';
    return timingSafeEqual(sha256(value), expectedDigest) ? 'ok' : 'mismatch';
  };
}

// The one-shot `hash` (Node 20.12+) rather than a Hash object: the listener checks every request.
function sha256(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}
