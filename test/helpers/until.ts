/**
 * The one way tests wait for something that happens on its own time: a condition polled until it
 * holds, bounded, with a message that says what never happened (and, through `detail`, what was seen
 * instead). Tests wait on the event itself, never on a guessed sleep.
 */
export interface UntilOptions {
  /** How long before giving up (default 10 s; vitest's own test timeout is the outer bound). */
  timeoutMs?: number;
  /** How often to look again (default 20 ms). */
  everyMs?: number;
  /** What to add to the error: the output or events seen so far. */
  detail?: () => string;
}

/** Resolves with the predicate's first truthy value; rejects after `timeoutMs` naming `what`. */
export async function until<T>(predicate: () => T | Promise<T>, what: string, options: UntilOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, everyMs = 20, detail } = options;
  const started = Date.now();
  for (;;) {
    const value = await predicate();
    if (value) return value as NonNullable<T>;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `:\n${detail()}` : ''}`);
    }
    await pause(everyMs);
  }
}

/**
 * Lets `ms` pass with nothing to wait for: only for proving that something does NOT happen within a
 * window (no second delivery, no re-registration), or for a peer that must be slow on purpose. A
 * precondition is never a pause: wait for it with `until`.
 */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
