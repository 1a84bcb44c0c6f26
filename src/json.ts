// Reading JSON from peers: one linear scan for depth and long integers, and parsing that keeps
// long integers exact.

/**
 * JSON.parse, except that integers too long to be exact as a JavaScript number (16 digits or
 * more) are kept as strings of their digits. A 20-digit numeric verification ID parsed as a number
 * comes out rounded (12345678901234567890 → 12345678901234567000) and can never match again.
 * Node 20's JSON.parse cannot show a reviver the source text, so the text is rewritten first,
 * and only when it holds such a run of digits: everything else parses as before, at the same cost.
 */
export function parseJsonKeepingBigIntegers(text: string): unknown {
  return scanJson(text, Number.POSITIVE_INFINITY) & LONG_INTEGER ? JSON.parse(quoteBigIntegers(text)) : JSON.parse(text);
}

/** Wraps in quotes every integer literal of 16 digits or more that stands outside a string. */
export function quoteBigIntegers(text: string): string {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
      continue;
    }
    if (ch === 0x22) {
      inString = true;
      continue;
    }
    if (ch !== 0x2d && !(ch >= 0x30 && ch <= 0x39)) continue;
    // A number literal: its extent, and whether it is a plain integer.
    let end = i + (ch === 0x2d ? 1 : 0);
    const digitsFrom = end;
    while (end < text.length && text.charCodeAt(end) >= 0x30 && text.charCodeAt(end) <= 0x39) end++;
    let plain = true;
    let j = end;
    while (j < text.length && /[0-9.eE+-]/.test(text[j]!)) {
      plain = false;
      j++;
    }
    if (plain && end - digitsFrom >= 16) {
      out += `${text.slice(last, i)}"${text.slice(i, end)}"`;
      last = end;
    }
    i = j - 1;
  }
  return last === 0 ? text : out + text.slice(last);
}

/**
 * True when arrays/objects nest deeper than `max`. A linear scan before JSON.parse, so a body of
 * 60 KB of brackets costs microseconds and never reaches a recursive consumer.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  return (scanJson(text, max) & TOO_DEEP) !== 0;
}

/** `scanJson` flags: nested deeper than allowed; an integer of 16 digits or more outside strings. */
export const TOO_DEEP = 1;
export const LONG_INTEGER = 2;

/**
 * One linear pass over the body before it is parsed: how deep it nests (stops at `max`), and
 * whether it holds an integer too long to stay exact as a number (then parsed keeping it as a
 * string, see `quoteBigIntegers`) — one pass, so a delivery pays for one scan, not two.
 */
export function scanJson(text: string, max: number): number {
  let depth = 0;
  let inString = false;
  let digits = 0;
  let found = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch >= 0x30 && ch <= 0x39) {
      if (++digits >= 16) found = LONG_INTEGER;
    } else {
      digits = 0;
      if (ch === 0x22) inString = true;
      else if (ch === 0x5b || ch === 0x7b) {
        if (++depth > max) return found | TOO_DEEP;
      } else if (ch === 0x5d || ch === 0x7d) depth--;
    }
  }
  return found;
}
