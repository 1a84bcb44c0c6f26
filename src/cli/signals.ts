import { SendtalkVerifyError } from '../errors.js';

/** Exit code for an interruption. Ctrl-C, SIGTERM and SIGHUP all mean "stop now, cleanly". */
export const INTERRUPTED_EXIT = 130;
/**
 * Exit code for a server (`emulator`, an open-ended `listen`) stopped by SIGTERM: that is how
 * scripts and service managers end a server, so it is not a failure (`wait $PID` under `set -e`).
 */
export const TERMINATED_SERVER_EXIT = 0;

/** The first stop signal this process received, if any (see `interruptOnSignals`). */
let receivedSignal: NodeJS.Signals | undefined;

/** The stop signal being handled, or undefined while none has arrived. */
export function stopSignal(): NodeJS.Signals | undefined {
  return receivedSignal;
}
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** How `interruptOnSignals` behaves around the cleanup; every field has a default. */
export interface InterruptOptions {
  /** Runs just before a forced exit (to stop a spinner). */
  onForcedExit?: () => void;
  /** How long the cleanup may take before a watchdog exits anyway (default 5 s). */
  graceMs?: number;
  /** Hears the first signal (to say that cleanup is under way). */
  onInterrupt?: (name: NodeJS.Signals) => void;
}

/**
 * Ends the process by `signal` itself, with its default action: the handlers go (libuv then restores
 * the default), and the process sends the signal to itself. Unlike `process.exit`, which waits for
 * every thread of libuv's pool and so hangs behind one blocked in the kernel (a stalled disk, a
 * FIFO), nothing can hold this up; a shell reports 128 + the signal's number (130 for Ctrl-C), and a
 * calling script sees that its child was interrupted. SIGKILL follows if the process is somehow
 * still running a moment later.
 */
export function endBySignal(signal: NodeJS.Signals): void {
  for (const name of SIGNALS) process.removeAllListeners(name);
  process.kill(process.pid, signal);
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), 1000).unref();
}

/**
 * Turns the first SIGINT/SIGTERM/SIGHUP into an abort (so the command can close its tunnel and
 * servers), and a second one into an immediate end, by the signal itself (see `endBySignal`). If
 * the cleanup hangs, a watchdog ends it so after `graceMs`.
 */
export function interruptOnSignals(options: InterruptOptions = {}): { signal: AbortSignal; dispose(): void } {
  const { onForcedExit = () => {}, graceMs = 5000, onInterrupt } = options;
  const controller = new AbortController();
  const forcedExit = (why: string): void => {
    try {
      onForcedExit();
    } catch {
      // exiting anyway
    }
    process.stderr.write(`\n✖ ${why}\n`);
    endBySignal(lastSignal ?? 'SIGINT');
  };
  let lastSignal: NodeJS.Signals | undefined;
  const handler = (name: NodeJS.Signals): void => {
    receivedSignal ??= name;
    lastSignal = name;
    if (controller.signal.aborted) {
      forcedExit(`Interrupted again (${name}): exiting now, without finishing the cleanup.`);
      return;
    }
    controller.abort(new SendtalkVerifyError('interrupted', `Interrupted (${name}).`, { exitCode: INTERRUPTED_EXIT }));
    setTimeout(() => forcedExit(`The cleanup did not finish within ${Math.round(graceMs / 1000)} s: exiting anyway.`), graceMs).unref();
    try {
      onInterrupt?.(name);
    } catch {
      // a message that cannot be shown must not stop the cleanup
    }
  };
  for (const name of SIGNALS) process.on(name, handler);
  return {
    signal: controller.signal,
    dispose() {
      for (const name of SIGNALS) process.off(name, handler);
    },
  };
}
