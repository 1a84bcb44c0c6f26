import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen } from '../http/server.js';
import type { ControlContext } from './control-api.js';
import { createEmulatorState, current, reset, setShape, setWebhook, type EmulatorState } from './emulator-state.js';
import { OfflineSwitch } from './offline-switch.js';
import { serveRequest } from './routing.js';
import type { EmulatorHandle, EmulatorOptions } from './types.js';
import { verify } from './verifications.js';

// The emulator's lifecycle: binding, the handle and closing. State is in emulator-state.ts, timers
// in scheduler.ts, requests in routing.ts, verifications and their webhooks in verifications.ts.
export type { EmulatorOptions, EmulatorEvent, EmulatorHandle, EmulatedVerification, WebhookDelivery, WebhookState } from './types.js';
export { verifiedPayload, type VerifiedEventFacts } from './messages.js';

/** Starts a SendTalk-compatible API server on loopback, for `--sandbox`, tests and other projects' suites. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const state = createEmulatorState(options);
  const requestedPort = options.port ?? 0;
  // Known once bound; the control API cannot be reached before that.
  let offline: OfflineSwitch | undefined;
  const control = controlContext(state, (ms) => offline?.goOffline(ms) ?? Promise.resolve());
  const server = createServer((req, res) => serveRequest(state, control, req, res));
  server.keepAliveTimeout = 2000;
  await listen(server, requestedPort, state.host, 'the emulator');
  const port = (server.address() as AddressInfo).port;
  offline = new OfflineSwitch(server, state.host, port, state.scheduler);
  return emulatorHandle(state, server, port, offline);
}

function emulatorHandle(state: EmulatorState, server: Server, port: number, offline: OfflineSwitch): EmulatorHandle {
  const { host, faults } = state;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    server,
    verifications: state.verifications,
    webhooks: state.webhooks,
    get faults() {
      return faults.list;
    },
    verify: (id) => verify(state, id),
    injectFault: (fault, count = 1) => faults.add(fault, count),
    clearFaults: () => faults.clear(),
    goOffline: (ms) => offline.goOffline(ms),
    goOnline: () => offline.goOnline(),
    get offline() {
      return offline.offline;
    },
    reset: () => reset(state),
    setWebhook: (next) => setWebhook(state, next),
    get shape() {
      return { ...state.shape };
    },
    setShape: (next) => setShape(state, next),
    close() {
      closing ??= new Promise<void>((resolve) => {
        state.scheduler.stop();
        state.autoVerifyTimers.clear();
        server.close(() => resolve());
        // Hanging requests (the `hang` fault) and keep-alive sockets would hold the port open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** A fresh random credential for the sandbox, so nothing real is ever needed or leaked. */
export function randomCredential(prefix: string): string {
  return `${prefix}_${randomBytes(18).toString('base64url')}`;
}

/** What the control API may see and do, on this emulator's state. */
function controlContext(state: EmulatorState, goOffline: (ms: number) => Promise<void>): ControlContext {
  const { verifications, target, faults } = state;
  return {
    listVerifications: () => [...verifications.values()].map(current),
    getVerification: (id) => {
      const v = verifications.get(id);
      return v && current(v);
    },
    verify: (id) => verify(state, id),
    webhooks: () => state.webhooks,
    faults: () => faults.list,
    injectFault: (fault, count) => faults.add(fault, count),
    clearFaults: () => faults.clear(),
    webhookTarget: () => ({ url: target.url || null, secretHeader: target.secretHeader, secretSet: target.secret !== undefined }),
    setWebhook: (next) => setWebhook(state, next),
    shape: () => ({ ...state.shape }),
    setShape: (next) => setShape(state, next),
    reset: () => reset(state),
    goOffline,
  };
}
