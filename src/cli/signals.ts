import { SendtalkVerifyError } from '../errors.js';
import { ioIsStuck } from '../stuck-io.js';

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
 * Turns the first SIGINT/SIGTERM/SIGHUP into an abort (so the command can close its tunnel and
 * servers), and a second one into an immediate exit. If the cleanup hangs, a watchdog exits anyway
 * after `graceMs`.
 */
export function interruptOnSignals(options: InterruptOptions = {}): { signal: AbortSignal; dispose(): void } {
  const { onForcedExit = () => {}, graceMs = 5000, onInterrupt } = options;
  const controller = new AbortController();
  const forcedExit = (why: string): never => {
    try {
      onForcedExit();
    } catch {
      // exiting anyway
    }
    process.stderr.write(`\n✖ ${why}\n`);
    // With a file write blocked in a thread (a stalled disk), process.exit would wait for it
    // forever: end by the signal's default action instead, which nothing can hold up (a shell
    // reports 128 + the signal number, 130 for Ctrl-C).
    if (ioIsStuck()) {
      const name = lastSignal ?? 'SIGINT';
      process.removeAllListeners(name);
      process.kill(process.pid, name);
      return undefined as never;
    }
    process.exit(INTERRUPTED_EXIT);
  };
  let lastSignal: NodeJS.Signals | undefined;
  const handler = (name: NodeJS.Signals): void => {
    receivedSignal ??= name;
    lastSignal = name;
    if (controller.signal.aborted) {
      forcedExit(`Interrupted again (${name}): exiting now, without finishing the cleanup.`);
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
