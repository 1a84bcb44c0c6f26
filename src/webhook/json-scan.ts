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
 * string, see json-big-integers.ts) — one pass, so a delivery pays for one scan, not two.
 */
export function scanJson(text: string, max: number): number {
  let depth = 0;
  let inString = false;
  let digits = 0;
  let found = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
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
