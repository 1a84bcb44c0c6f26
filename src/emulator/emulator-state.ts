import { SendtalkVerifyError } from '../errors.js';
import { DEFAULT_SECRET_HEADER } from '../webhook/secret.js';
import type { WebhookTarget } from './deliver-webhook.js';
import { FaultQueue } from './faults.js';
import { Scheduler } from './scheduler.js';
import { DEFAULT_SHAPE, parseShape } from './shapes.js';
import type { EmulatedVerification, EmulatorEvent, EmulatorOptions, EmulatorShape, WebhookDelivery } from './types.js';

/** Everything one emulator holds; the modules that serve it take it explicitly. */
export interface EmulatorState {
  readonly options: EmulatorOptions;
  readonly host: string;
  readonly businessNumber: string;
  readonly autoVerifyMs: number | false;
  readonly policy: { attempts: number; timeoutMs: number; backoffMs: number };
  /** Where webhooks go now; `setWebhook` changes it in place. */
  readonly target: WebhookTarget;
  readonly shape: EmulatorShape;
  readonly verifications: Map<string, EmulatedVerification>;
  readonly webhooks: WebhookDelivery[];
  /** The latest delivery of each verification: only it may set the verification's webhook state. */
  readonly latestDelivery: Map<string, WebhookDelivery>;
  readonly autoVerifyTimers: Map<string, NodeJS.Timeout>;
  readonly faults: FaultQueue;
  readonly scheduler: Scheduler;
  webhookSeq: number;
  emit(event: EmulatorEvent): void;
}

export function createEmulatorState(options: EmulatorOptions): EmulatorState {
  const state: EmulatorState = {
    options,
    host: options.host ?? '127.0.0.1',
    businessNumber: options.businessNumber ?? '6281100000000',
    autoVerifyMs: options.autoVerifyMs ?? 2000,
    policy: {
      attempts: Math.max(1, options.webhookAttempts ?? 3),
      timeoutMs: options.webhookTimeoutMs ?? 5000,
      backoffMs: options.webhookBackoffMs ?? 250,
    },
    target: { url: options.webhookUrl ?? '', secret: options.secret, secretHeader: options.secretHeader ?? DEFAULT_SECRET_HEADER },
    shape: { ...DEFAULT_SHAPE },
    verifications: new Map(),
    webhooks: [],
    latestDelivery: new Map(),
    autoVerifyTimers: new Map(),
    faults: new FaultQueue(),
    scheduler: new Scheduler(),
    webhookSeq: 0,
    emit: (event) => options.onEvent?.(event),
  };
  setShape(state, options.shape ?? {});
  for (const { count, ...fault } of options.faults ?? []) state.faults.add(fault, count);
  return state;
}

/** A pending verification past its expiry is expired; computed when read, so no timer per verification. */
export function current(v: EmulatedVerification): EmulatedVerification {
  if (v.status === 'pending' && Date.parse(v.expiresAt) <= Date.now()) v.status = 'expired';
  return v;
}

/** Validated like the control API's body: a bad value is a usage error, not a silently odd answer. */
export function setShape(state: EmulatorState, next: Partial<EmulatorShape>): void {
  const parsed = parseShape(next);
  if (typeof parsed === 'string') throw new SendtalkVerifyError('usage', `Bad emulator shape: ${parsed}.`);
  Object.assign(state.shape, parsed);
}

export function setWebhook(state: EmulatorState, next: { url?: string; secret?: string; secretHeader?: string }): void {
  const target = state.target;
  if (next.url !== undefined) target.url = next.url;
  if (next.secret !== undefined) target.secret = next.secret;
  if (next.secretHeader !== undefined) target.secretHeader = next.secretHeader;
}

/** Forgets every verification, delivery and fault, and cancels pending auto-verifications. */
export function reset(state: EmulatorState): void {
  for (const timer of state.autoVerifyTimers.values()) state.scheduler.cancel(timer);
  state.autoVerifyTimers.clear();
  state.verifications.clear();
  state.latestDelivery.clear();
  state.webhooks.length = 0;
  state.faults.clear();
}
