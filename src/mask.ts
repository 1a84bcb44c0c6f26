/** What stands in a header or log for a secret that must not show at all. */
export const REDACTED = '[redacted]';

/** Below this length a secret shows none of its characters (see `maskSecret`). */
const SHOWN_FROM_LENGTH = 16;

/**
 * Masks a secret or key for display: the one rule every output uses (doctor, traces, the redactor).
 * A secret under 16 characters shows nothing, not even its length; a longer one shows its last 4
 * characters, enough to tell two keys apart and still at most a quarter of it, and never its start,
 * which is often a guessable prefix (`st_live_`) rather than part of the secret.
 */
export function maskSecret(secret: string | undefined): string {
  if (!secret) return '(not set)';
  if (secret.length < SHOWN_FROM_LENGTH) return '••••••••';
  return `••••${secret.slice(-4)}`;
}

/**
 * Returns a function that replaces every occurrence of each secret in a text by its mask: the last
 * line of defence on anything the CLI prints from foreign sources (error bodies, debug traces).
 * The secrets are prepared once, since the writer masks every line it prints. Each secret is also
 * looked for in the form it takes inside a JSON string (quotes, backslashes and control characters
 * escaped).
 */
export function redactor(secrets: ReadonlyArray<string | undefined>): (text: string) => string {
  const replacements: Array<[form: string, mask: string]> = [];
  for (const secret of secrets) {
    // Shorter values would mask ordinary words; such a secret is too weak to protect anyway.
    if (!secret || secret.length < 4) continue;
    const mask = maskSecret(secret);
    replacements.push([secret, mask]);
    // Inside JSON the mask is escaped too: a secret with a quote must not leave a bare one behind.
    const escaped = jsonEscaped(secret);
    if (escaped !== secret) replacements.push([escaped, jsonEscaped(mask)]);
  }
  return (text) => {
    let out = text;
    for (const [form, mask] of replacements) {
      if (out.includes(form)) out = out.split(form).join(mask);
    }
    return out;
  };
}

function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
