import type { Server } from 'node:http';
import type { LanguageCode } from '../client/create-verification.js';
import type { WebhookAttempt } from './deliver-webhook.js';
import type { Fault, QueuedFault } from './faults.js';

/** Every option of `startEmulator`, each default written once, here. */
export interface EmulatorOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** When set, only this `API-Key` is accepted; otherwise any non-empty key is. */
  apiKey?: string;
  /** Where the verified webhook is delivered; without it nothing is delivered. */
  webhookUrl?: string;
  /** Sent in the secret header with each webhook. */
  secret?: string;
  /** The header the secret is sent in. @default 'X-Secret-Key' */
  secretHeader?: string;
  /** Delay after creation before the webhook is delivered; `false` waits for `verify(id)`. @default 2000 */
  autoVerifyMs?: number | false;
  /** Added before answering each API request (not the control API). @default 0 */
  latencyMs?: number;
  /** The emulated business number in wa.me links. @default '6281100000000' */
  businessNumber?: string;
  /** Expiry when the request gives none, in minutes. @default 10 */
  defaultExpiryMinutes?: number;
  /** Webhook attempts before giving up (with backoff between them). @default 3 */
  webhookAttempts?: number;
  /** Wait before the first retry of a failed webhook; doubles for each further one. @default 250 */
  webhookBackoffMs?: number;
  /** Per-attempt bound on a webhook delivery. @default 5000 */
  webhookTimeoutMs?: number;
  /** The create answer's field names and the webhook's form and status; see `EmulatorShape`. @default DEFAULT_SHAPE */
  shape?: Partial<EmulatorShape>;
  /** Faults queued from the start, as if posted to `/_emulator/faults`. */
  faults?: ReadonlyArray<Fault & { count?: number }>;
  /** Told of each request served and each webhook attempt. */
  onEvent?: (event: EmulatorEvent) => void;
}

export type EmulatorEvent =
  | {
      type: 'request';
      method: string;
      path: string;
      /** HTTP status answered; 0 when the request was left hanging on purpose. */
      httpStatus: number;
      /** The envelope's `status`, for answers that are envelopes. */
      envelopeStatus?: number;
      error?: string;
      /** The verification this request created. */
      verificationId?: string;
      /** The injected fault that shaped this answer. */
      fault?: Fault['type'];
      ms: number;
    }
  | { type: 'created'; verification: EmulatedVerification }
  | { type: 'webhook'; id: string; url: string; attempt: WebhookAttempt; delivered: boolean; final: boolean; attempts: number };

export type WebhookState = 'delivering' | 'delivered' | 'failed';

/** One delivery of the verified webhook: every attempt, and how it ended. */
export interface WebhookDelivery {
  /** Sequence number within this emulator, from 1. */
  seq: number;
  verificationId: string;
  url: string;
  state: WebhookState;
  startedAt: string;
  finishedAt?: string;
  attempts: WebhookAttempt[];
}

export interface EmulatedVerification {
  id: string;
  phone: string;
  languageCode: LanguageCode;
  appURL?: string;
  code: string;
  link: string;
  message: string;
  createdAt: string;
  expiresAt: string;
  status: 'pending' | 'verified' | 'expired';
  verifiedAt?: string;
  /** Every webhook attempt made for this verification, across deliveries. */
  webhookAttempts: WebhookAttempt[];
  /** How the latest webhook delivery for it stands; absent until one starts. */
  webhookState?: WebhookState;
}

export interface EmulatorHandle {
  /** Base URL, e.g. `http://127.0.0.1:4010`; pass it as `apiUrl`. */
  url: string;
  port: number;
  /** @internal Tests count its connections. */
  server: Server;
  /** Every verification created so far, by id. */
  readonly verifications: ReadonlyMap<string, EmulatedVerification>;
  /** Every webhook delivery so far, oldest first (the latest 1,000). */
  readonly webhooks: readonly WebhookDelivery[];
  /** Faults still waiting for a request, in the order they will be used. */
  readonly faults: readonly QueuedFault[];
  /**
   * Marks a verification verified now and delivers its webhook (again, if it was delivered before),
   * retrying failures; resolves with the last attempt, or undefined when no webhook URL is set.
   */
  verify(id: string): Promise<WebhookAttempt | undefined>;
  /** Queues a fault for the next `count` API requests (default 1). */
  injectFault(fault: Fault, count?: number): QueuedFault;
  /** Drops every queued fault. */
  clearFaults(): void;
  /**
   * Stops accepting connections for `ms` (clients get "connection refused"), then listens again on
   * the same port; resolves when it does. Connections already open are left alone.
   */
  goOffline(ms: number): Promise<void>;
  /** Ends `goOffline` now; resolves when listening again. */
  goOnline(): Promise<void>;
  /** True while `goOffline` keeps the port closed. */
  readonly offline: boolean;
  /** Forgets verifications, webhook deliveries and faults, for a fresh start between tests. */
  reset(): void;
  /** How the create answer and the webhook are shaped now. */
  readonly shape: Readonly<EmulatorShape>;
  /** Changes the shape of later create answers and webhooks (also `PUT /_emulator/shape`). */
  setShape(shape: Partial<EmulatorShape>): void;
  /** Points later webhook deliveries elsewhere (the CLI learns the tunnel URL after starting). */
  setWebhook(target: { url?: string; secret?: string; secretHeader?: string }): void;
  /** Stops timers and in-flight deliveries, ends hanging requests, frees the port. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * How the emulator shapes what it sends. SendTalk has not published the names of its create
 * answer's fields nor the webhook's form, and the client reads them tolerantly: these settings let
 * a test drive every form the client accepts through the real HTTP path.
 */
export interface EmulatorShape {
  /**
   * Which alias names each field of the create answer: set 0 takes the first alias of every field
   * (`verificationID`, `waLink`, `waMessage`, `qrCode`, `userPhone`, `expiredTime`), set n the n-th
   * (or a field's last, when it has fewer). Odd sets send the expiry as an ISO date, even ones as
   * epoch milliseconds. From 0 to `RESPONSE_ALIAS_SETS - 1`. @default 0
   */
  responseAliases: number;
  /** Put the create answer's fields one level down, in `data.verification`. @default false */
  responseNested: boolean;
  /**
   * `flat`: the webhook's fields at the top. `wrapped`: TapTalk's form for its webhooks,
   * `{"type":"whatsapp_verification_status","whatsappVerificationStatus":{…,"status":…}}`. @default 'flat'
   */
  webhook: 'flat' | 'wrapped';
  /** The `status` the webhook carries: `failed` tests a client's handling of an unsuccessful one. @default 'verified' */
  webhookStatus: string;
}
