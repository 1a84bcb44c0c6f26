/**
 * Characters a terminal acts on, or that reorder what it shows: C0 controls (tab and newline
 * excepted), DEL, C1 controls, and the bidirectional controls (U+200E–U+200F, U+202A–U+202E,
 * U+2066–U+2069) with which a peer's text can make what is printed read backwards ("Trojan
 * Source"); or an SGR colour sequence.
 */
const CONTROL = /\u001b\[[0-9;]*m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const ANY_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * Makes text safe to write to a terminal: every control character becomes visible (`\x1b`, `\x07`,
 * `\r`, `\u202e`…), so a value a peer chose — a payload field, an API message, a tunnel server's
 * error — cannot clear the screen, set the window title, move the cursor, overwrite a line or
 * reverse it. With `keepColours`, plain colour sequences (`ESC [ … m`, what the CLI's own colours
 * are made of) pass; every other escape sequence is still shown, not obeyed.
 */
export function escapeControls(text: string, keepColours = false): string {
  if (!ANY_CONTROL.test(text)) return text;
  return text.replace(CONTROL, (match) => {
    if (match.length > 1) return keepColours ? match : `\\x1b${match.slice(1)}`;
    const code = match.charCodeAt(0);
    if (code === 0x0d) return '\\r';
    if (code > 0xff) return `\\u${code.toString(16)}`;
    return `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/**
 * What JSON.stringify leaves raw but a reader of `--json` output should not get raw: DEL and the
 * C1 controls (a terminal acts on them when the output is shown), U+2028 and U+2029 (line breaks
 * to JavaScript engines before ES2019 and to many log viewers), and the bidirectional controls.
 * They can only stand inside JSON strings, where `\uXXXX` means the same character.
 */
const JSON_UNSAFE = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const ANY_JSON_UNSAFE = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** `json` (as JSON.stringify wrote it) with those characters written as `\uXXXX` escapes. */
export function escapeJsonControls(json: string): string {
  // The common case first, in two native scans that cost a third of the expression's one: a text
  // whose UTF-8 is as long as it is holds nothing above U+007F, and then only DEL can need escaping.
  if (Buffer.byteLength(json, 'utf8') === json.length && !json.includes('\u007f')) return json;
  if (!ANY_JSON_UNSAFE.test(json)) return json;
  return json.replace(JSON_UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
