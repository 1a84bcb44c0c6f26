import { afterEach } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/index.js';

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

/** Starts emulators (no auto-verify unless asked) and closes them after each test. */
export function emulatorsClosedAfterEach(): (options?: Parameters<typeof startEmulator>[0]) => Promise<EmulatorHandle> {
  const defer = cleanupAfterEach();
  return async (options = {}) => {
    const emulator = await startEmulator({ autoVerifyMs: false, ...options });
    defer(() => emulator.close());
    return emulator;
  };
}
