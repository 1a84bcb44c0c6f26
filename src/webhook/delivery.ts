import type { Server } from 'node:http';
import type { JsonObject } from '../fields.js';
import type { DeliveryFacts } from './match.js';
import type { SecretLocation } from './secret.js';

// What the webhook listener takes (its options and limits) and what it records of each request
// (a Delivery), with the words for each refusal: the shapes the request path, the lifecycle, the
// log, the terminal and the page all speak.

export interface ListenerOptions {
  /** Interface to bind. Anything but loopback exposes the listener to the network. @default '127.0.0.1' */
  host?: string;
  /** Port to bind; 0 picks a free one. @default 0 */
  port?: number;
  /** The only path that accepts deliveries. @default '/webhook' */
  path?: string;
  /**
   * The webhook secret from SendTalk's Verification Config. Without it (or when empty), deliveries
   * are accepted unchecked.
   */
  secret?: string;
  /**
   * Other values masked, like the secret, wherever they appear in what the listener records (the
   * path, the headers): the API key, which a careless sender may echo in a query string.
   */
  alsoMask?: ReadonlyArray<string | undefined>;
  /**
   * The one header that carries the secret. Unset, the secret is accepted in `X-Secret-Key` or in
   * `Secret-Key` (see `ACCEPTED_SECRET_HEADERS`). @default undefined
   */
  secretHeader?: string;
  /** Largest body accepted, in bytes. @default 65_536 */
  maxBodyBytes?: number;
  /**
   * Awaited before an accepted delivery is answered 200, so that whatever it does (writing a log,
   * forwarding) is done before SendTalk is told the delivery arrived. If it throws, the delivery is
   * answered 503 (try again later) and SendTalk may retry.
   */
  beforeAcknowledge?: (delivery: Delivery) => Promise<void> | void;
  /** Called for every request, accepted or refused, after it has been answered. */
  onDelivery?: (delivery: Delivery) => void;
  /**
   * A per-run token. A request to the listener's path carrying it in the `X-Sendtalk-Verify-Probe`
   * header is answered 200 with the token echoed, and is not a delivery: it lets the CLI check that
   * the public URL really reaches this listener (and not someone else's) before waiting on it.
   * @internal Used by the flows; not part of the public API.
   */
  probeToken?: string;
  /**
   * Keep track of each accepted delivery's answer, for `answered` (a tunnel that must pass the 200
   * on before it closes). Off, `answered` resolves at once: under load the bookkeeping would cost
   * every delivery. @default false
   * @internal Used by the flows; not part of the public API.
   */
  trackAnswers?: boolean;
  /** How many accepted deliveries `accepted` and `waitFor` remember. @default 100 */
  keepAccepted?: number;
  /**
   * Overrides of the server limits (tests use short timeouts). @default LISTENER_LIMITS
   * @internal Tests only.
   */
  limits?: Partial<ListenerLimits>;
}

/** Header of the end-to-end probe request; see `ListenerOptions.probeToken`. */
export const PROBE_HEADER = 'X-Sendtalk-Verify-Probe';

export type RefusalReason =
  | 'not-found'
  | 'method-not-allowed'
  | 'secret-missing'
  | 'secret-mismatch'
  | 'unsupported-media-type'
  | 'too-large'
  | 'not-json'
  | 'not-object'
  | 'too-deep'
  | 'too-many-headers'
  | 'acknowledge-failed';

export interface Delivery extends DeliveryFacts {
  /** Sequence number within this listener, from 1. */
  seq: number;
  receivedAt: string;
  method: string;
  /** Path and query as requested. */
  path: string;
  accepted: boolean;
  /** HTTP status the listener answered. */
  status: number;
  reason?: RefusalReason;
  /** One sentence on why it was refused, never containing a secret. */
  detail?: string;
  /** `ok` when the secret matched, `skipped` when no secret is configured. */
  secretCheck?: 'ok' | 'skipped';
  /**
   * For a delivery refused as `secret-missing`: where the secret did come (another header, an
   * `Authorization: Bearer` token, the query string), by name only.
   */
  secretLocation?: SecretLocation;
  /** Request headers with the secret header masked. */
  headers: Record<string, string>;
  /** The raw body bytes as received (empty when refused before reading). */
  body: Buffer;
  /** The parsed JSON object, for accepted deliveries. */
  payload?: JsonObject;
}

export interface ListenerHandle {
  /** Local URL including the path, e.g. `http://127.0.0.1:53122/webhook`. */
  url: string;
  host: string;
  port: number;
  path: string;
  /** @internal The flows and the tests read the bound address and connections. */
  server: Server;
  /** Accepted deliveries so far (the latest `keepAccepted`). */
  readonly accepted: readonly Delivery[];
  /**
   * Resolves with the first accepted delivery (past or future) for which `predicate` is true.
   * Rejects when `signal` aborts.
   */
  waitFor(predicate: (delivery: Delivery) => boolean, signal?: AbortSignal): Promise<Delivery>;
  /**
   * Resolves once the answer to an accepted delivery has been handed to the operating system (or
   * its connection has ended): what a tunnel must pass on before it may close. Needs `trackAnswers`.
   * @internal Used by the flows; not part of the public API.
   */
  answered(delivery: Delivery): Promise<void>;
  /** Stops accepting, ends idle connections and resolves when the port is free. Safe to call twice. */
  close(): Promise<void>;
}

export interface ListenerLimits {
  /** Time allowed to send all request headers; then 408 and the connection is closed. */
  headersTimeoutMs: number;
  /** Time allowed for the whole request, body included; then 408 and the connection is closed. */
  requestTimeoutMs: number;
  /** How often Node checks the two time-outs above (its default, 30 s, would let them overrun). */
  checkIntervalMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /** Concurrent connections; further ones are closed at once. */
  maxConnections: number;
  /** Request headers allowed; a request with more is refused with 431 (Node would silently drop the rest). */
  maxHeadersCount: number;
  /** Total size of the request head; larger gets 431 from Node's parser. */
  maxHeaderBytes: number;
  /** Nesting of arrays and objects in the body; deeper is refused with 400 before parsing. */
  maxJsonDepth: number;
  /**
   * Most of a refused body that is drained: above this declared length the connection is closed at
   * once, and a body without a declared length (chunked) is read up to it, then the connection is cut.
   */
  maxDrainBytes: number;
  /** Longest a refused body is drained before the connection is cut, however little has come. */
  maxDrainMs: number;
  /** Refusals one connection may collect; the one that reaches it closes the connection. */
  maxRefusalsPerConnection: number;
}

/** Server limits, set on purpose: slow, stuck or abusive clients must not hold the listener. */
export const LISTENER_LIMITS: Readonly<ListenerLimits> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  checkIntervalMs: 1_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 512,
  maxHeadersCount: 100,
  maxHeaderBytes: 16 * 1024,
  maxJsonDepth: 64,
  // A refusal frees its connection fast: a tunnel has about ten, and slow senders that are refused
  // (anyone who learns the public URL) must not hold them while real deliveries wait.
  maxDrainBytes: 64 * 1024,
  maxDrainMs: 1_000,
  maxRefusalsPerConnection: 3,
};

// ─── Refusals, in the words of the answer, the terminal and the page ─────────────────────────

/** A refusal: status, reason, the sentence on why, and any header the answer needs. */
export type Refusal = [status: number, reason: RefusalReason, detail: string, extraHeaders?: Record<string, string>];

/** The short text of each refusal, sent back in the answer's `error`. */
export const REFUSAL_TEXT: Record<RefusalReason, string> = {
  'not-found': 'not found',
  'method-not-allowed': 'method not allowed',
  'secret-missing': 'secret key is missing',
  'secret-mismatch': 'secret key is invalid',
  'unsupported-media-type': 'body must be JSON',
  'too-large': 'body too large',
  'not-json': 'body is not valid JSON',
  'not-object': 'body must be a JSON object',
  'too-deep': 'body is nested too deeply',
  'too-many-headers': 'too many headers',
  'acknowledge-failed': 'could not record the delivery',
};

/**
 * Each refusal in the words a person scanning deliveries looks for: the terminal's delivery lines
 * and the local page say the same thing.
 */
export const REFUSAL_LABEL: Record<RefusalReason, string> = {
  'secret-missing': 'secret missing',
  'secret-mismatch': 'secret wrong',
  'not-json': 'not JSON',
  'not-object': 'not a JSON object',
  'too-large': 'too large',
  'too-deep': 'nested too deeply',
  'too-many-headers': 'too many headers',
  'unsupported-media-type': 'not JSON',
  'method-not-allowed': 'wrong method',
  'not-found': 'wrong path',
  'acknowledge-failed': 'not recorded',
};

/**
 * Whether each refusal is decided before the body is taken in (on the request's head, or on a
 * body over the size limit, which is never kept): such a delivery's body is empty because it was
 * not read, not because nothing was sent.
 */
export const REFUSED_BEFORE_BODY: Record<RefusalReason, boolean> = {
  'not-found': true,
  'method-not-allowed': true,
  'secret-missing': true,
  'secret-mismatch': true,
  'unsupported-media-type': true,
  'too-large': true,
  'too-many-headers': true,
  'not-json': false,
  'not-object': false,
  'too-deep': false,
  'acknowledge-failed': false,
};
