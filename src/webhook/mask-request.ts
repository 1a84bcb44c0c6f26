import { REDACTED, secretSpellings } from '../mask.js';

/**
 * Masks the configured secret by value in what the listener records of a request (its path and
 * query, its headers): printed, sent as --json, written to --log. Looked for in every spelling of
 * `secretSpellings` (as it is, URL-encoded, base64, hex), in any letter case; and a near miss — a
 * value of about the secret's length sharing a run of `NEAR_RUN` characters with it (a typo, a
 * truncation) — counts as the secret too. The checks are a few `includes` per value, so the
 * listener's hot path pays next to nothing when no secret is there.
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

/** One masker for several values (the secret, the API key): each looked for as `maskerOf` does. */
export function requestMasker(values: ReadonlyArray<string | undefined>): RequestMasker | undefined {
  const maskers = values.map(maskerOf).filter((m): m is RequestMasker => m !== undefined);
  if (maskers.length <= 1) return maskers[0];
  return {
    path: (url) => maskers.reduce((out, masker) => masker.path(out), url),
    carriesSecret: (value) => maskers.some((masker) => masker.carriesSecret(value)),
  };
}

function maskerOf(secret: string | undefined): RequestMasker | undefined {
  if (secret === undefined || secret.length < 4) return undefined;
  // Compared case-blind: an upper-case copy, or hex and percent-encodings in either case, is the secret.
  const forms = secretSpellings(secret).filter((f) => f.length >= 4).map((f) => f.toLowerCase());
  const anyForm = new RegExp(forms.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gi');
  const runs = nearRuns(secret.toLowerCase());
  // Nothing shorter than this can hold any form of the secret, or a near miss of it: most header
  // values (host, content type and length, connection) are, and cost one comparison.
  const shortest = secret.length - NEAR_LENGTH;
  const carries = (value: string): boolean => {
    if (value.length < shortest) return false;
    const lower = value.toLowerCase();
    for (const form of forms) if (lower.includes(form)) return true;
    return isNearMiss(lower, secret, runs);
  };
  return {
    path(url) {
      if (url.length < shortest) return url;
      const out = url.replace(anyForm, REDACTED);
      const query = out.indexOf('?');
      if (query < 0) return out;
      // Each query value on its own: a lower-case encoding, or a near miss, is masked whole.
      const head = out.slice(0, query + 1);
      const parts = out.slice(query + 1).split('&').map((part) => {
        const eq = part.indexOf('=');
        const value = eq < 0 ? part : part.slice(eq + 1);
        const decoded = decodeLoosely(value);
        return value !== '' && value !== REDACTED && (carries(decoded) || holdsRun(decoded.toLowerCase(), runs)) ? `${eq < 0 ? '' : part.slice(0, eq + 1)}${REDACTED}` : part;
      });
      return head + parts.join('&');
    },
    carriesSecret: carries,
  };
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

/** Whether `value` holds a run of NEAR_RUN characters of the secret anywhere, whatever its length (part of it, in a query). */
function holdsRun(value: string, runs: Set<string>): boolean {
  for (let i = 0; i + NEAR_RUN <= value.length; i++) if (runs.has(value.slice(i, i + NEAR_RUN))) return true;
  return false;
}

function decodeLoosely(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
