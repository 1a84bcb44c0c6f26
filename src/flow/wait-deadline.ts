import type { Verification } from '../client/parse-verification.js';

/** When the expiry is unknown and no timeout is given, wait this long. */
export const DEFAULT_WAIT_MS = 10 * 60_000;

/** An expiry further away than this is not believed (SendTalk's expiries are minutes). */
export const FAR_EXPIRY_MS = 7 * 24 * 60 * 60_000;

/**
 * Deadline = the earlier of `--timeout` and the verification's expiry; `until` says which. An
 * expiry in the past (a clock off, a field misread) or implausibly far is set aside, and said so.
 */
export function waitDeadline(
  started: number,
  v: Verification,
  options: { expiryMinutes?: number; timeoutMs?: number },
): {
  deadline: number;
  until: 'timeout' | 'expiry';
  ignoredExpiry?: { expiresAt: string; why: 'past' | 'far' };
} {
  let expiry = v.expiresAt ? Date.parse(v.expiresAt) : options.expiryMinutes !== undefined ? started + options.expiryMinutes * 60_000 : undefined;
  let ignoredExpiry: { expiresAt: string; why: 'past' | 'far' } | undefined;
  if (expiry !== undefined && (!Number.isFinite(expiry) || expiry <= started || expiry - started > FAR_EXPIRY_MS)) {
    ignoredExpiry = { expiresAt: v.expiresAt ?? String(expiry), why: Number.isFinite(expiry) && expiry <= started ? 'past' : 'far' };
    expiry = options.expiryMinutes !== undefined ? started + options.expiryMinutes * 60_000 : undefined;
  }
  const chosen = pickDeadline(started, expiry, options.timeoutMs);
  return ignoredExpiry ? { ...chosen, ignoredExpiry } : chosen;
}

function pickDeadline(started: number, expiry: number | undefined, timeoutMs: number | undefined): { deadline: number; until: 'timeout' | 'expiry' } {
  const timeout = timeoutMs !== undefined ? started + timeoutMs : undefined;
  if (timeout !== undefined && (expiry === undefined || timeout < expiry)) return { deadline: timeout, until: 'timeout' };
  if (expiry !== undefined) return { deadline: expiry, until: 'expiry' };
  return { deadline: started + DEFAULT_WAIT_MS, until: 'timeout' };
}
