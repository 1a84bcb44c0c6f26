import type { IncomingMessage } from 'node:http';
import { isJsonObject } from '../fields.js';
import type { WebhookAttempt } from './deliver-webhook.js';
import { parseFault, type Fault, type QueuedFault } from './faults.js';
import { parseJson, readBodyText } from '../http/server.js';
import type { EmulatedVerification, WebhookDelivery } from './types.js';
import { parseShape, type EmulatorShape } from './shapes.js';
import { HEADER_NAME } from '../webhook/secret.js';

/** Every control route lives under this prefix, out of the way of SendTalk's own paths. */
export const CONTROL_PREFIX = '/_emulator';

/** What the control API may see and do; the emulator implements it. */
export interface ControlContext {
  listVerifications(): EmulatedVerification[];
  getVerification(id: string): EmulatedVerification | undefined;
  /** Starts the delivery; the promise settles when it has ended (delivered or given up). */
  verify(id: string): Promise<WebhookAttempt | undefined>;
  webhooks(): readonly WebhookDelivery[];
  faults(): readonly QueuedFault[];
  injectFault(fault: Fault, count: number): QueuedFault;
  clearFaults(): void;
  webhookTarget(): { url: string | null; secretHeader: string; secretSet: boolean };
  setWebhook(target: { url?: string; secret?: string; secretHeader?: string }): void;
  shape(): EmulatorShape;
  setShape(shape: Partial<EmulatorShape>): void;
  reset(): void;
  goOffline(ms: number): Promise<void>;
}

/** Longest `POST /_emulator/offline`, so that a typo cannot take the emulator away for hours. */
const MAX_OFFLINE_MS = 10 * 60_000;

export interface ControlAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** The routes, for `GET /_emulator` and the 404 answer: a test author can discover them with curl. */
const ROUTES = [
  'GET    /_emulator/verifications',
  'GET    /_emulator/verifications/:id',
  'POST   /_emulator/verifications/:id/verify   (?wait=false answers 202 at once)',
  'GET    /_emulator/webhooks',
  'GET    /_emulator/faults',
  'POST   /_emulator/faults   {"type":"http-error","status":503,"count":2}',
  'DELETE /_emulator/faults',
  'GET    /_emulator/webhook',
  'PUT    /_emulator/webhook   {"url":"http://127.0.0.1:3000/webhook","secret":"…","secretHeader":"X-Secret-Key"}',
  'GET    /_emulator/shape',
  'PUT    /_emulator/shape     {"responseAliases":2,"responseNested":true,"webhook":"wrapped","webhookStatus":"failed"}',
  'POST   /_emulator/reset',
  'POST   /_emulator/offline   {"ms":2000}  (refuse connections for that long, then listen again)',
];

const notFound = (what: string): ControlAnswer => ({ status: 404, body: { error: what, routes: ROUTES } });
const methodNotAllowed = (method: string, path: string): ControlAnswer => ({
  status: 405,
  body: { error: `${method} is not allowed on ${path}`, routes: ROUTES },
});

/**
 * The test-facing API. Answers are plain JSON (not SendTalk envelopes): it is the emulator's own
 * interface, and a test should never mistake it for the emulated API.
 */
export async function handleControl(req: IncomingMessage, path: string, query: URLSearchParams, ctx: ControlContext): Promise<ControlAnswer> {
  const method = req.method ?? 'GET';
  const rest = path.slice(CONTROL_PREFIX.length).replace(/\/+$/, '');

  if (rest === '') return method === 'GET' ? { status: 200, body: { routes: ROUTES } } : methodNotAllowed(method, path);

  if (rest === '/verifications') {
    return method === 'GET' ? { status: 200, body: { verifications: ctx.listVerifications() } } : methodNotAllowed(method, path);
  }

  const one = /^\/verifications\/([^/]+)(\/verify)?$/.exec(rest);
  if (one) return verificationRoute(decodeURIComponent(one[1]!), one[2] !== undefined, method, path, query, ctx);

  if (rest === '/webhooks') {
    return method === 'GET' ? { status: 200, body: { webhooks: ctx.webhooks() } } : methodNotAllowed(method, path);
  }

  if (rest === '/faults') return faultsRoute(req, method, path, ctx);

  if (rest === '/webhook') {
    if (method === 'GET') return { status: 200, body: ctx.webhookTarget() };
    if (method !== 'PUT' && method !== 'POST') return methodNotAllowed(method, path);
    const target = readWebhookTarget(await readJsonBody(req));
    if (typeof target === 'string') return { status: 400, body: { error: target } };
    ctx.setWebhook(target);
    return { status: 200, body: ctx.webhookTarget() };
  }

  if (rest === '/shape') {
    if (method === 'GET') return { status: 200, body: { ...ctx.shape() } };
    if (method !== 'PUT' && method !== 'POST') return methodNotAllowed(method, path);
    const shape = parseShape(await readJsonBody(req));
    if (typeof shape === 'string') return { status: 400, body: { error: shape } };
    ctx.setShape(shape);
    return { status: 200, body: { ...ctx.shape() } };
  }

  if (rest === '/offline') return offlineRoute(req, method, path, ctx);

  if (rest === '/reset') {
    if (method !== 'POST') return methodNotAllowed(method, path);
    ctx.reset();
    return { status: 200, body: { ok: true } };
  }

  return notFound(`nothing at ${path}`);
}

/** `/verifications/:id` (GET) and `/verifications/:id/verify` (POST, `?wait=false` answers at once). */
async function verificationRoute(
  id: string,
  toVerify: boolean,
  method: string,
  path: string,
  query: URLSearchParams,
  ctx: ControlContext,
): Promise<ControlAnswer> {
  const v = ctx.getVerification(id);
  if (!v) return notFound(`no verification ${id}`);
  if (!toVerify) return method === 'GET' ? { status: 200, body: { verification: v } } : methodNotAllowed(method, path);
  if (method !== 'POST') return methodNotAllowed(method, path);
  const delivery = ctx.verify(id);
  if (query.get('wait') === 'false') {
    delivery.catch(() => {});
    return { status: 202, body: { verification: ctx.getVerification(id) } };
  }
  const attempt = await delivery;
  return { status: 200, body: { verification: ctx.getVerification(id), attempt: attempt ?? null, delivered: v.webhookState === 'delivered' } };
}

/** `/faults`: list (GET), clear (DELETE), queue one (POST). */
async function faultsRoute(req: IncomingMessage, method: string, path: string, ctx: ControlContext): Promise<ControlAnswer> {
  if (method === 'GET') return { status: 200, body: { faults: ctx.faults() } };
  if (method === 'DELETE') {
    ctx.clearFaults();
    return { status: 200, body: { faults: [] } };
  }
  if (method !== 'POST') return methodNotAllowed(method, path);
  const parsed = parseFault(await readJsonBody(req));
  if ('error' in parsed) return { status: 400, body: { error: parsed.error } };
  const queued = ctx.injectFault(parsed.fault, parsed.count);
  return { status: 201, body: { queued, faults: ctx.faults() } };
}

/** `POST /offline {"ms": n}`: answered first, then the port closes for `ms`. */
async function offlineRoute(req: IncomingMessage, method: string, path: string, ctx: ControlContext): Promise<ControlAnswer> {
  if (method !== 'POST') return methodNotAllowed(method, path);
  const body = await readJsonBody(req);
  const ms = isJsonObject(body) ? body.ms : undefined;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 1 || ms > MAX_OFFLINE_MS) {
    return { status: 400, body: { error: `the body must be {"ms": n}, n a whole number of milliseconds from 1 to ${MAX_OFFLINE_MS}` } };
  }
  // After this answer has gone out: closing the port does not touch this connection, but wait anyway.
  setImmediate(() => void ctx.goOffline(ms));
  return { status: 202, body: { offlineForMs: ms } };
}

/** The request's JSON body; undefined when it is too large (each route then answers that the body is wrong). */
async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBodyText(req);
  return text === 'too-large' ? undefined : parseJson(text);
}

function readWebhookTarget(body: unknown): { url?: string; secret?: string; secretHeader?: string } | string {
  if (!isJsonObject(body)) return 'the body must be a JSON object like {"url":"http://127.0.0.1:3000/webhook","secret":"…"}';
  const out: { url?: string; secret?: string; secretHeader?: string } = {};
  for (const key of ['url', 'secret', 'secretHeader'] as const) {
    const value = body[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') return `"${key}" must be a string`;
    out[key] = value;
  }
  if (out.url !== undefined && out.url !== '' && !/^https?:\/\/[^/]/.test(out.url)) return '"url" must be an http(s) URL, or "" to stop delivering';
  if (out.secretHeader !== undefined && !HEADER_NAME.test(out.secretHeader)) return '"secretHeader" must be a valid header name';
  return out;
}
