import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JsonObject } from '../fields.js';
import type { Delivery } from './listener-types.js';
import type { ListenerState } from './listener-state.js';
import { maskedHeaders } from './mask-headers.js';
import { extractDeliveryFacts } from './match.js';
import { parseBody } from './parse-body.js';
import { capDrain, readBody } from './read-body.js';
import { nowIso } from './receive-clock.js';
import { REFUSAL_TEXT, type Refusal } from './refusal.js';
import { checkHead, isProbe } from './request-checks.js';
import { ACCEPTED_BODY, internalError, respond } from './respond.js';

const EMPTY_BODY = Buffer.alloc(0);

// Every request runs through plain callbacks, with no promise unless `beforeAcknowledge` is
// given: the listener is on the hot path of `listen` under load, and each await costs a turn.

/** Answers one request to the listener: a probe, a refusal, or an accepted delivery. */
export function handleRequest(state: ListenerState, req: IncomingMessage, res: ServerResponse): void {
  if (isProbe(req, state.path, state.probeToken)) {
    // Answered before anything is counted: a probe is neither a delivery nor a refusal. It has no
    // body to speak of, so the connection stays open (through a tunnel, closing it costs a reconnect).
    req.resume();
    return respond(res, 200, { ok: true, probe: state.probeToken! }, false);
  }
  const masker = state.masker;
  const delivery: Delivery = {
    seq: ++state.seq,
    receivedAt: nowIso(),
    method: req.method ?? 'GET',
    path: masker ? masker.path(req.url ?? '/') : req.url ?? '/',
    accepted: false,
    status: 0,
    headers: maskedHeaders(req, state.maskAlways, masker),
    body: EMPTY_BODY,
  };
  const refusal = checkHead(state, req, delivery);
  if (refusal) return refuse(state, req, res, delivery, refusal);
  readBody(req, state.maxBody, (body) => onBody(state, req, res, delivery, body));
}

/** Goes on once the body is read (or is too large, or the client went away). */
function onBody(state: ListenerState, req: IncomingMessage, res: ServerResponse, delivery: Delivery, body: Buffer | 'too-large' | 'aborted'): void {
  try {
    if (body === 'aborted') return; // the client went away; nothing to answer
    if (body === 'too-large') return refuse(state, req, res, delivery, [413, 'too-large', `body is over the ${state.maxBody}-byte limit`]);
    delivery.body = body;
    const parsed = parseBody(body, state.limits.maxJsonDepth);
    if (Array.isArray(parsed)) return refuse(state, req, res, delivery, parsed);
    accept(state, res, delivery, parsed);
  } catch {
    internalError(res);
  }
}

/** Records what the delivery says, then answers 200 (after `beforeAcknowledge`, when given). */
function accept(state: ListenerState, res: ServerResponse, delivery: Delivery, payload: JsonObject): void {
  delivery.accepted = true;
  delivery.status = 200;
  delivery.secretCheck = state.matchesSecret ? 'ok' : 'skipped';
  delivery.payload = payload;
  const facts = extractDeliveryFacts(payload);
  if (facts.verificationId !== undefined) delivery.verificationId = facts.verificationId;
  if (facts.phone !== undefined) delivery.phone = facts.phone;
  if (facts.payloadStatus !== undefined) {
    delivery.payloadStatus = facts.payloadStatus;
    delivery.payloadStatusFrom = facts.payloadStatusFrom;
  }
  const before = state.beforeAcknowledge;
  if (!before) return acknowledge(state, res, delivery);
  new Promise<void>((resolve) => resolve(before(delivery))).then(() => acknowledge(state, res, delivery), (error: Error) => {
    delivery.accepted = false;
    refuse(state, undefined, res, delivery, [503, 'acknowledge-failed', `could not record it: ${error?.message ?? String(error)}`]);
  }).catch(() => internalError(res));
}

function acknowledge(state: ListenerState, res: ServerResponse, delivery: Delivery): void {
  if (state.answers) state.answers.set(delivery, res);
  respond(res, 200, ACCEPTED_BODY, false);
  state.accepted.remember(delivery);
  state.onDelivery?.(delivery);
}

function refuse(state: ListenerState, req: IncomingMessage | undefined, res: ServerResponse, delivery: Delivery, [status, reason, detail, extraHeaders]: Refusal): void {
  const limits = state.limits;
  delivery.status = status;
  delivery.reason = reason;
  delivery.detail = detail;
  // A refused request may still be sending its body. It is answered at once; closing before the
  // rest is read would make the client's next write fail with a reset that can overtake our
  // answer, so the rest is drained — at most maxDrainBytes or maxDrainMs, then the connection is
  // cut. A body that comes in time leaves the connection usable; a slow sender that is refused
  // cannot hold one of the tunnel's few connections for long.
  const incomplete = req !== undefined && !req.complete;
  const declared = Number(req?.headers['content-length']);
  const cut = incomplete && Number.isFinite(declared) && declared > limits.maxDrainBytes;
  // A connection that keeps sending what is refused (a scanner, a flood) is not kept alive for it.
  const socket = res.socket;
  const refusals = socket ? (state.refusalsOn.get(socket) ?? 0) + 1 : 0;
  if (socket) state.refusalsOn.set(socket, refusals);
  respond(res, status, { error: REFUSAL_TEXT[reason], reason }, cut || refusals >= limits.maxRefusalsPerConnection, extraHeaders);
  if (incomplete && !cut) capDrain(req, limits.maxDrainBytes, limits.maxDrainMs);
  state.onDelivery?.(delivery);
}
