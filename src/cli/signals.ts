import { SendtalkVerifyError } from '../errors.js';

/** Exit code for an interruption. Ctrl-C, SIGTERM and SIGHUP all mean "stop now, cleanly". */
export const INTERRUPTED_EXIT = 130;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Turns the first SIGINT/SIGTERM/SIGHUP into an abort (so the command can close its tunnel and
 * servers), and a second one into an immediate exit. If the cleanup hangs, a watchdog exits anyway.
 */
export function interruptOnSignals(onForcedExit: () => void, graceMs = 5000): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      onForcedExit();
      process.exit(INTERRUPTED_EXIT);
    }
    controller.abort(new SendtalkVerifyError('interrupted', `Interrupted (${name}).`, { exitCode: INTERRUPTED_EXIT }));
    setTimeout(() => {
      onForcedExit();
      process.exit(INTERRUPTED_EXIT);
    }, graceMs).unref();
  };
  for (const name of SIGNALS) process.on(name, handler);
  return {
    signal: controller.signal,
    dispose() {
      for (const name of SIGNALS) process.off(name, handler);
    },
  };
}
