import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { AcceptedDeliveries } from './accepted-deliveries.js';
import { LISTENER_LIMITS, type Delivery, type ListenerLimits, type ListenerOptions } from './listener-types.js';
import { requestMasker, type RequestMasker } from './mask-request.js';
import { configuredSecret, describeSecretHeaders, requestSecretChecker, secretHeadersFor, type SecretVerdict } from './secret.js';

/**
 * Everything one listener's requests share: its settings, worked out once when it starts, and what
 * it counts and remembers. The request path's functions take it explicitly.
 */
export interface ListenerState {
  readonly path: string;
  readonly probeToken: string | undefined;
  readonly limits: ListenerLimits;
  readonly maxBody: number;
  readonly secret: string | undefined;
  /** Hashed once: each request then costs one hash, not two. Undefined without a secret. */
  readonly matchesSecret: ((headers: IncomingHttpHeaders) => SecretVerdict) | undefined;
  /** The accepted secret header names, for messages. */
  readonly expectedHeaders: string;
  /** Lower-case names of the secret headers, masked whole in what is recorded. */
  readonly maskAlways: ReadonlySet<string>;
  /** The secret by value, in every form it may take, wherever the request is recorded. */
  readonly masker: RequestMasker | undefined;
  readonly beforeAcknowledge: ListenerOptions['beforeAcknowledge'];
  readonly onDelivery: ListenerOptions['onDelivery'];
  /** Sequence number of the last request counted. */
  seq: number;
  /** Refusals per connection, so that a connection that keeps collecting them is closed. */
  readonly refusalsOn: WeakMap<object, number>;
  /** The answer of each accepted delivery, for `answered`; gone with the delivery. */
  readonly answers: WeakMap<Delivery, ServerResponse> | undefined;
  readonly accepted: AcceptedDeliveries;
}

export function createListenerState(options: ListenerOptions): ListenerState {
  const secret = configuredSecret(options.secret);
  const secretHeaders = secretHeadersFor(options.secretHeader);
  return {
    path: normalisePath(options.path ?? '/webhook'),
    probeToken: options.probeToken,
    limits: { ...LISTENER_LIMITS, ...options.limits },
    maxBody: options.maxBodyBytes ?? 65_536,
    secret,
    matchesSecret: secret === undefined ? undefined : requestSecretChecker(secret, secretHeaders),
    expectedHeaders: describeSecretHeaders(secretHeaders),
    maskAlways: new Set(secretHeaders.map((name) => name.toLowerCase())),
    masker: requestMasker([secret, ...(options.alsoMask ?? [])]),
    beforeAcknowledge: options.beforeAcknowledge,
    onDelivery: options.onDelivery,
    seq: 0,
    refusalsOn: new WeakMap<object, number>(),
    // Off unless asked: under load the bookkeeping would cost every delivery.
    answers: options.trackAnswers ? new WeakMap<Delivery, ServerResponse>() : undefined,
    accepted: new AcceptedDeliveries(options.keepAccepted ?? 100),
  };
}

function normalisePath(path: string): string {
  const withSlash = path.startsWith('/') ? path : `/${path}`;
  return withSlash.length > 1 ? withSlash.replace(/\/+$/, '') : withSlash;
}
