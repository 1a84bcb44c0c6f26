import type { ControlContext } from './control-api.js';
import { current, reset, setShape, setWebhook, type EmulatorState } from './emulator-state.js';
import { verify } from './verifications.js';

/** What the control API may see and do, on this emulator's state. */
export function controlContext(state: EmulatorState, goOffline: (ms: number) => Promise<void>): ControlContext {
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
