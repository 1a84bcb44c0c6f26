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

/**
 * Turns the first SIGINT/SIGTERM/SIGHUP into an abort (so the command can close its tunnel and
 * servers), and a second one into an immediate exit. If the cleanup hangs, a watchdog exits anyway
 * after `graceMs`. `onInterrupt` hears the first signal (to say that cleanup is under way);
 * `onForcedExit` runs just before a forced exit (to stop a spinner).
 */
export function interruptOnSignals(
  onForcedExit: () => void = () => {},
  graceMs = 5000,
  onInterrupt?: (name: NodeJS.Signals) => void,
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const forcedExit = (why: string): never => {
    try {
      onForcedExit();
    } catch {
      // exiting anyway
    }
    process.stderr.write(`\n✖ ${why}\n`);
    process.exit(INTERRUPTED_EXIT);
  };
  const handler = (name: NodeJS.Signals): void => {
    receivedSignal ??= name;
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
