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

/** A window of a secret this long, found anywhere, is masked: enough to rebuild much of it. */
export const SECRET_WINDOW = 8;

/**
 * The spellings in which a secret travels and may come back to be shown: as it is, URL-encoded
 * (`+` or `%20` for spaces), base64 (standard, padded or not, and URL-safe), hex, and inside a JSON
 * string. Matched in any letter case: an upper-case copy, or hex in capitals, is still the secret.
 */
export function secretSpellings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const base64 = bytes.toString('base64');
  const spellings = new Set([
    secret,
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/%20/g, '+'),
    base64,
    base64.replace(/=+$/, ''),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    jsonEscaped(secret),
  ]);
  return [...spellings];
}

/** Characters of a secret's spelling that make a piece, and how far apart pieces of a windowed form start. */
const PIECE = 5;
const STRIDE = SECRET_WINDOW + 1 - PIECE;

/** Where a piece found in a text may belong: the start of a whole spelling, or a place in a windowed form. */
interface PieceOf {
  spellings: Array<{ text: string; mask: string }>;
  forms: Array<{ form: string; at: number; mask: string; telling: Uint16Array }>;
}

/**
 * Returns a function that masks each secret in a text: the last line of defence on anything shown
 * (the terminal, `--json`, the page, a CI step summary, errors) from foreign sources. Every spelling
 * of `secretSpellings` is replaced by the secret's mask, and so is any run of `SECRET_WINDOW` or more
 * characters of the secret as it is, URL-encoded or JSON-escaped (a truncated or partial copy in a
 * query string), in any letter case: such a run is replaced whole, however long. Secrets under 4
 * characters are passed over (they would mask ordinary words), and one under 8 is masked only whole.
 *
 * How, cheaply, since the writer masks every line it prints: it looks for a few short pieces (the
 * start of each spelling, and every fourth 5-character piece of each windowed form); only where one
 * is found is the text around it compared with what the piece belongs to.
 */
export function redactor(secrets: ReadonlyArray<string | undefined>): (text: string) => string {
  const pieces = new Map<string, PieceOf>();
  const pieceOf = (key: string): PieceOf => {
    let entry = pieces.get(key);
    if (!entry) pieces.set(key, (entry = { spellings: [], forms: [] }));
    return entry;
  };
  for (const secret of new Set(secrets)) {
    if (!secret || secret.length < 4) continue;
    // Inside a JSON string the mask is escaped too: a secret with a quote must not leave a bare one behind.
    const json = jsonEscaped(secret);
    const maskFor = (spelling: string): string => (spelling === json && json !== secret ? jsonEscaped(maskSecret(secret)) : maskSecret(secret));
    for (const spelling of secretSpellings(secret)) {
      const text = spelling.toLowerCase();
      if (text.length >= 4) pieceOf(text.slice(0, PIECE)).spellings.push({ text, mask: maskFor(spelling) });
    }
    if (secret.length < SECRET_WINDOW) continue;
    for (const spelling of new Set([secret, encodeURIComponent(secret), json])) {
      const form = spelling.toLowerCase();
      const mask = maskFor(spelling);
      const telling = tellingWindows(spelling);
      // A run of SECRET_WINDOW characters starting anywhere holds one of these whole (4 + PIECE ≤ 8 + 1).
      for (let at = 0; at + PIECE <= form.length; at += STRIDE) pieceOf(form.slice(at, at + PIECE)).forms.push({ form, at, mask, telling });
    }
  }
  if (pieces.size === 0) return (text) => text;
  const keys = [...pieces.keys()];
  const search = new RegExp(
    keys
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join('|'),
    'gi',
  );
  return (text) => {
    // A few `indexOf` on a lower-cased copy cost a third of one expression over the text. Where
    // lower-casing changed the length (a few non-ASCII letters do), places would not line up: the
    // expression, which needs no copy, is used instead.
    const lower = text.toLowerCase();
    const spans: Array<[start: number, end: number, mask: string]> = [];
    if (lower.length === text.length) {
      for (const key of keys) {
        for (let at = lower.indexOf(key); at >= 0; at = lower.indexOf(key, at + 1)) {
          const span = spanAt(text, at, pieces.get(key)!);
          if (span) spans.push(span);
        }
      }
    } else {
      search.lastIndex = 0;
      for (let found = search.exec(text); found !== null; found = search.exec(text)) {
        const span = spanAt(text, found.index, pieces.get(found[0].toLowerCase())!);
        if (span) spans.push(span);
        search.lastIndex = found.index + 1;
      }
    }
    return spans.length === 0 ? text : masked(text, spans);
  };
}

/** The longest spelling or run of the secret that the piece found at `at` is part of, if any. */
function spanAt(text: string, at: number, piece: PieceOf): [number, number, string] | undefined {
  let best: [number, number, string] | undefined;
  const keep = (start: number, end: number, mask: string): void => {
    if (!best || end - start > best[1] - best[0]) best = [start, end, mask];
  };
  for (const { text: spelling, mask } of piece.spellings) {
    if (text.slice(at, at + spelling.length).toLowerCase() === spelling) keep(at, at + spelling.length, mask);
  }
  for (const { form, at: offset, mask, telling } of piece.forms) {
    let start = at;
    let from = offset;
    while (start > 0 && from > 0 && text[start - 1]!.toLowerCase() === form[from - 1]) {
      start--;
      from--;
    }
    let end = at;
    let to = offset;
    while (end < text.length && to < form.length && text[end]!.toLowerCase() === form[to]) {
      end++;
      to++;
    }
    // The run counts when it holds a window that tells the secret apart from ordinary text.
    if (end - start >= SECRET_WINDOW && telling[to - SECRET_WINDOW + 1]! > telling[from]!)
      keep(start, end, from === 0 && to === form.length ? mask : PARTIAL_MASK);
  }
  return best;
}

/**
 * Which windows of a secret's spelling tell it apart from ordinary text, as a running count:
 * `counts[j] - counts[i]` is how many of the windows starting in [i, j) do. A window of digits
 * alone, or of letters of one case with `-`, `_` or `.`, is what a phone number, a word or a header
 * name looks like (`12345678`, `-secret-`): a secret that holds one would otherwise mask every
 * phone number or `x-secret-key` it is printed beside. Such a window is masked only within a longer
 * run that holds a telling one; a random secret's windows are almost all telling.
 */
function tellingWindows(spelling: string): Uint16Array {
  const counts = new Uint16Array(spelling.length + 1);
  for (let i = 0; i < spelling.length; i++) {
    const window = spelling.slice(i, i + SECRET_WINDOW);
    const ordinary = /^\d+$/.test(window) || /^[a-z._-]+$/.test(window) || /^[A-Z._-]+$/.test(window);
    counts[i + 1] = counts[i]! + (window.length === SECRET_WINDOW && !ordinary ? 1 : 0);
  }
  return counts;
}

/** What stands for a part of a secret: no hint of which part, or of its length. */
const PARTIAL_MASK = '••••••••';

/** `text` with each span replaced by its mask; overlapping spans become one. */
function masked(text: string, spans: Array<[number, number, string]>): string {
  if (spans.length === 0) return text;
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let done = 0;
  for (const [start, end, mask] of spans) {
    if (end <= done) continue;
    out += start >= done ? text.slice(done, start) + mask : '';
    done = end;
  }
  return out + text.slice(done);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

// ─── Credential headers: one rule for the terminal, the log and the page ─────────────────────

/** Names already judged: a listener sees the same few names on every delivery. Bounded against a flood of new ones. */
const judged = new Map<string, boolean>();

/**
 * Header names that carry a credential whatever the configuration says: `Authorization`,
 * `Proxy-Authorization`, `Cookie`, `API-Key` (and `ApiKey`), and any name with `secret`, `token`
 * or `password` in it (`X-Api-Token`, `X-Auth-Token`, `X-Secret-Key`…). Their values are masked
 * whole in what the listener records of a request, which is what the terminal, `--json` and
 * `--log` show, and again on the page, so the three can never disagree.
 */
export function isCredentialHeader(name: string): boolean {
  let credential = judged.get(name);
  if (credential === undefined) {
    // The rule is here, not in a constant built when the module loads, so that `npm run mutate`
    // can change it (credential-headers.test.ts names each kind of name).
    credential = /secret|token|password|api-?key|authorization|cookie/i.test(name);
    if (judged.size < 256) judged.set(name, credential);
  }
  return credential;
}

// ─── The secret by value in a request the listener records ──────────────────────────────────

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
  // Each value once: `listen` passes the secret, then every value the CLI protects (the secret again).
  const maskers = [...new Set(values)].map(maskerOf).filter((m): m is RequestMasker => m !== undefined);
  if (maskers.length <= 1) return maskers[0];
  return {
    path: (url) => maskers.reduce((out, masker) => masker.path(out), url),
    carriesSecret: (value) => maskers.some((masker) => masker.carriesSecret(value)),
  };
}

function maskerOf(secret: string | undefined): RequestMasker | undefined {
  if (secret === undefined || secret.length < 4) return undefined;
  // Compared case-blind: an upper-case copy, or hex and percent-encodings in either case, is the secret.
  const forms = secretSpellings(secret)
    .filter((f) => f.length >= 4)
    .map((f) => f.toLowerCase());
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
      const parts = out
        .slice(query + 1)
        .split('&')
        .map((part) => {
          const eq = part.indexOf('=');
          const value = eq < 0 ? part : part.slice(eq + 1);
          const decoded = decodeLoosely(value);
          return value !== '' && value !== REDACTED && (carries(decoded) || holdsRun(decoded.toLowerCase(), runs))
            ? `${eq < 0 ? '' : part.slice(0, eq + 1)}${REDACTED}`
            : part;
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
