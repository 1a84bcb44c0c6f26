/** Longest delay Node's timers take; past it they warn (TimeoutOverflowWarning) and fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `AbortSignal.timeout` for any delay: a delay above what one timer holds (24.8 days) is waited in
 * steps, so a far deadline never turns into an immediate one. The timers are unref'd, like
 * AbortSignal.timeout's, so they never keep the process alive by themselves.
 */
export function longTimeoutSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  const end = Date.now() + Math.max(0, ms);
  const step = (): void => {
    const left = end - Date.now();
    if (!(left > 0)) return controller.abort(new DOMException('The operation timed out.', 'TimeoutError'));
    setTimeout(step, Math.min(left, MAX_TIMER_MS)).unref();
  };
  if (!Number.isFinite(end)) return controller.signal; // no end: never fires
  step();
  return controller.signal;
}
