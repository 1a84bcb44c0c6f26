/**
 * The emulator's timers and its stop signal: every timer it sets goes through here, so that
 * `close()` can clear them all, and nothing scheduled runs once the emulator is stopping.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  // Aborted on close: ends in-flight webhook attempts and every pending wait.
  private readonly stopper = new AbortController();

  get signal(): AbortSignal {
    return this.stopper.signal;
  }

  get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  /** Runs `fn` after `ms`, unless the emulator stops first. */
  later(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** Resolves true after `ms`, or false as soon as the emulator closes. */
  pause(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve(false);
      const onStop = (): void => resolve(false);
      this.signal.addEventListener('abort', onStop, { once: true });
      this.later(ms, () => {
        this.signal.removeEventListener('abort', onStop);
        resolve(true);
      });
    });
  }

  /** Aborts the stop signal and clears every timer. */
  stop(): void {
    this.stopper.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
