/**
 * `new Date().toISOString()`, remembered for the millisecond it stands for: under load many
 * deliveries arrive within one, and formatting a date costs more than reading the clock.
 */
let lastNow = 0;
let lastIso = '';
export function nowIso(): string {
  const now = Date.now();
  if (now !== lastNow) {
    lastNow = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}
