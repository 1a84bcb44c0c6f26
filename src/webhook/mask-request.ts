import { REDACTED } from '../mask.js';

/**
 * Masks the configured secret by value in what the listener records of a request (its path and
 * query, its headers): printed, sent as --json, written to --log. Looked for as it is, URL-encoded
 * (either case of hex, `+` for spaces), and base64 (standard and URL-safe, padded or not); and a
 * near miss — a value of about the secret's length sharing a run of `NEAR_RUN` characters with it
 * (a typo, a truncation) — counts as the secret too. The checks are a few `includes` per value, so
 * the listener's hot path pays next to nothing when no secret is there.
 */
export interface RequestMasker {
  /** The path and query with every form of the secret replaced. */
  path(url: string): string;
  /** True when a header value carries the secret in some form (it is then masked whole). */
  carriesSecret(value: string): boolean;
}

/** Characters a value must share in a row with the secret to be a near miss. */
const NEAR_RUN = 8;
/** How far a near miss's length may be from the secret's. */
const NEAR_LENGTH = 3;

export function requestMasker(secret: string | undefined): RequestMasker | undefined {
  if (secret === undefined || secret.length < 4) return undefined;
  const forms = secretForms(secret);
  // Percent-encodings may come in lower-case hex: those forms are also compared case-blind.
  const lowerForms = forms.filter((f) => f.includes('%')).map((f) => f.toLowerCase());
  const runs = nearRuns(secret);
  // Nothing shorter than this can hold any form of the secret, or a near miss of it: most header
  // values (host, content type and length, connection) are, and cost one comparison.
  const shortest = secret.length - NEAR_LENGTH;
  const carries = (value: string): boolean => {
    if (value.length < shortest) return false;
    for (const form of forms) if (value.includes(form)) return true;
    if (lowerForms.length > 0 && value.includes('%')) {
      const lower = value.toLowerCase();
      for (const form of lowerForms) if (lower.includes(form)) return true;
    }
    return isNearMiss(value, secret, runs);
  };
  return {
    path(url) {
      if (url.length < shortest) return url;
      let out = url;
      for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
      const query = out.indexOf('?');
      if (query < 0) return out;
      // Each query value on its own: a lower-case encoding, or a near miss, is masked whole.
      const head = out.slice(0, query + 1);
      const parts = out.slice(query + 1).split('&').map((part) => {
        const eq = part.indexOf('=');
        const value = eq < 0 ? part : part.slice(eq + 1);
        return value !== '' && value !== REDACTED && carries(decodeLoosely(value)) ? `${eq < 0 ? '' : part.slice(0, eq + 1)}${REDACTED}` : part;
      });
      return head + parts.join('&');
    },
    carriesSecret: carries,
  };
}

/** The secret as it may travel: raw, URL-encoded, form-encoded, base64 (standard and URL-safe). */
export function secretForms(secret: string): string[] {
  const base64 = Buffer.from(secret, 'utf8').toString('base64');
  const forms = new Set([
    secret,
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/%20/g, '+'),
    base64,
    base64.replace(/=+$/, ''),
    Buffer.from(secret, 'utf8').toString('base64url'),
  ]);
  return [...forms].filter((f) => f.length >= 4);
}

/** Every run of NEAR_RUN characters of the secret (all of it when shorter). */
function nearRuns(secret: string): Set<string> {
  const runs = new Set<string>();
  const size = Math.min(NEAR_RUN, secret.length);
  for (let i = 0; i + size <= secret.length; i++) runs.add(secret.slice(i, i + size));
  return runs;
}

/** A value (or a word of it) of about the secret's length sharing a run of characters with it. */
function isNearMiss(value: string, secret: string, runs: Set<string>): boolean {
  if (value.length < secret.length - NEAR_LENGTH) return false;
  // Only words of the right length are compared, which keeps long ordinary headers cheap.
  for (const word of value.length <= secret.length + NEAR_LENGTH ? [value] : value.split(/[\s,;]+/)) {
    if (Math.abs(word.length - secret.length) > NEAR_LENGTH) continue;
    const size = Math.min(NEAR_RUN, secret.length);
    for (let i = 0; i + size <= word.length; i++) if (runs.has(word.slice(i, i + size))) return true;
  }
  return false;
}

function decodeLoosely(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
