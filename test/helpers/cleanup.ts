import { afterEach, type TestContext } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/emulator.js';

/**
 * Registers an afterEach that undoes, newest first, everything a test deferred: servers stopped,
 * processes killed, even when the test failed half-way.
 */
export function cleanupAfterEach(): (undo: () => unknown) => void {
  const pending: Array<() => unknown> = [];
  afterEach(async () => {
    for (const undo of pending.splice(0).reverse()) await undo();
  });
  return (undo) => pending.push(undo);
}

/** Starts test servers that have `start()`/`stop()` and stops them after each test. */
export function serversStoppedAfterEach(): <T extends { start(): Promise<unknown>; stop(): Promise<unknown> }>(server: T) => Promise<T> {
  const defer = cleanupAfterEach();
  return async (server) => {
    await server.start();
    defer(() => server.stop());
    return server;
  };
}

type EmulatorOptions = NonNullable<Parameters<typeof startEmulator>[0]>;

/**
 * The one way tests start an emulator: in-process, on a free loopback port, with no automatic
 * verification unless the test asks for one (a delivery the test did not ask for would make it
 * flaky), and closed by `closeLater` however the test ends.
 */
async function startTestEmulator(options: EmulatorOptions, closeLater: (undo: () => Promise<void>) => void): Promise<EmulatorHandle> {
  const emulator = await startEmulator({ autoVerifyMs: false, ...options });
  closeLater(() => emulator.close());
  return emulator;
}

/** For a file's tests run one at a time: emulators closed after each test. */
export function emulatorsClosedAfterEach(defaults: EmulatorOptions = {}): (options?: EmulatorOptions) => Promise<EmulatorHandle> {
  const defer = cleanupAfterEach();
  return (options = {}) => startTestEmulator({ ...defaults, ...options }, defer);
}

/** For concurrent tests: the emulator is closed when its own test finishes. */
export function emulatorForTest(t: TestContext, options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  return startTestEmulator(options, (undo) => t.onTestFinished(undo));
}

/** Whether a process still runs (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
