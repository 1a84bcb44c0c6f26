import { randomInt, randomUUID } from 'node:crypto';
import { SendtalkVerifyError } from '../errors.js';
import { deliverWithRetries, isDelivered, type WebhookAttempt, type WebhookTarget } from './deliver-webhook.js';
import type { EmulatorState } from './emulator-state.js';
import { verificationMessage, verifiedPayload, waMeLink } from './messages.js';
import type { EmulatedVerification, WebhookDelivery } from './types.js';
import type { CreateRequest } from './validate.js';

/** How long a verification lives when neither the request nor the emulator's options say. */
export const DEFAULT_EXPIRY_MINUTES = 10;

/** Webhook deliveries kept for the control API; older ones are dropped. */
const KEPT_DELIVERIES = 1000;

/** A new pending verification, verified later by its auto-verify timer unless that is off. */
export function createVerification(state: EmulatorState, request: CreateRequest): EmulatedVerification {
  const code = String(randomInt(100_000, 1_000_000));
  const id = randomUUID();
  const message = verificationMessage(request.languageCode, code, request.appURL);
  const now = Date.now();
  const v: EmulatedVerification = {
    id,
    phone: request.userPhone,
    languageCode: request.languageCode,
    appURL: request.appURL,
    code,
    link: waMeLink(state.businessNumber, message),
    message,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + (request.expiryMinutes ?? state.options.defaultExpiryMinutes ?? DEFAULT_EXPIRY_MINUTES) * 60_000).toISOString(),
    status: 'pending',
    webhookAttempts: [],
  };
  state.verifications.set(id, v);
  state.emit({ type: 'created', verification: v });
  const autoVerifyMs = state.autoVerifyMs;
  if (autoVerifyMs !== false) {
    state.autoVerifyTimers.set(
      id,
      state.scheduler.later(autoVerifyMs, () => {
        state.autoVerifyTimers.delete(id);
        void verify(state, id);
      }),
    );
  }
  return v;
}

/** Marks the verification verified and delivers its webhook; settles when the delivery has ended. */
export async function verify(state: EmulatorState, id: string): Promise<WebhookAttempt | undefined> {
  const v = state.verifications.get(id);
  if (!v) throw new SendtalkVerifyError('usage', `The emulator has no verification ${id}.`);
  // A verification verified by hand must not be delivered a second time by its auto-verify timer.
  const timer = state.autoVerifyTimers.get(id);
  if (timer) {
    state.scheduler.cancel(timer);
    state.autoVerifyTimers.delete(id);
  }
  if (v.status !== 'verified') {
    v.status = 'verified';
    v.verifiedAt = new Date().toISOString();
  }
  return deliver(state, v);
}

async function deliver(state: EmulatorState, v: EmulatedVerification): Promise<WebhookAttempt | undefined> {
  if (!state.target.url) return undefined;
  const { policy, scheduler } = state;
  // Retries go where the first attempt went, even if setWebhook points elsewhere meanwhile.
  const to: WebhookTarget = { ...state.target };
  const delivery: WebhookDelivery = {
    seq: ++state.webhookSeq,
    verificationId: v.id,
    url: to.url,
    state: 'delivering',
    startedAt: new Date().toISOString(),
    attempts: [],
  };
  state.webhooks.push(delivery);
  if (state.webhooks.length > KEPT_DELIVERIES) state.webhooks.shift();
  state.latestDelivery.set(v.id, delivery);
  v.webhookState = 'delivering';
  const payload = verifiedPayload(v, { wrapped: state.shape.webhook === 'wrapped', status: state.shape.webhookStatus });
  const pause = (ms: number): Promise<boolean> => scheduler.pause(ms);
  const last = await deliverWithRetries(to, JSON.stringify(payload), { ...policy, pause, signal: scheduler.signal }, (attempt, final) => {
    delivery.attempts.push(attempt);
    v.webhookAttempts.push(attempt);
    state.emit({ type: 'webhook', id: v.id, url: to.url, attempt, delivered: isDelivered(attempt), final, attempts: policy.attempts });
  });
  delivery.state = last && isDelivered(last) ? 'delivered' : 'failed';
  delivery.finishedAt = new Date().toISOString();
  if (state.latestDelivery.get(v.id) === delivery) v.webhookState = delivery.state;
  return last;
}
