import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CREATE_PATH, type LanguageCode } from '../client/create-verification.js';
import { SendtalkVerifyError } from '../errors.js';
import type { JsonObject } from '../fields.js';
import { DEFAULT_SECRET_HEADER } from '../webhook/secret.js';
import { postWebhook, type WebhookAttempt, type WebhookTarget } from './deliver-webhook.js';
import { successEnvelope, type Envelope } from './envelope.js';
import { verificationMessage, waMeLink } from './messages.js';
import { validateApiKey, validateCreateRequest, type CreateRequest } from './validate.js';

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
  /** @default 'Secret-Key' */
  secretHeader?: string;
  /** Delay after creation before the webhook is delivered; `false` waits for `verify(id)`. @default 2000 */
  autoVerifyMs?: number | false;
  /** Added before answering each API request. @default 0 */
  latencyMs?: number;
  /** The emulated business number in wa.me links. @default '6281100000000' */
  businessNumber?: string;
  /** Expiry when the request gives none, in minutes. @default 10 */
  defaultExpiryMinutes?: number;
  /** Webhook attempts before giving up (with backoff between them). @default 3 */
  webhookAttempts?: number;
  /** Per-attempt bound on a webhook delivery. @default 5000 */
  webhookTimeoutMs?: number;
  /** Told of each request served and each webhook attempt. */
  onEvent?: (event: EmulatorEvent) => void;
}

export type EmulatorEvent =
  | { type: 'request'; method: string; path: string; httpStatus: number; envelopeStatus?: number; error?: string; ms: number }
  | { type: 'created'; verification: EmulatedVerification }
  | { type: 'webhook'; id: string; url: string; attempt: WebhookAttempt; delivered: boolean; final: boolean };

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
  webhookAttempts: WebhookAttempt[];
}

export interface EmulatorHandle {
  /** Base URL, e.g. `http://127.0.0.1:4010`; pass it as `apiUrl`. */
  url: string;
  port: number;
  server: Server;
  /** Every verification created so far, by id. */
  readonly verifications: ReadonlyMap<string, EmulatedVerification>;
  /** Marks a verification verified now and delivers its webhook; resolves with the last attempt. */
  verify(id: string): Promise<WebhookAttempt | undefined>;
  /** Points later webhook deliveries elsewhere (the CLI learns the tunnel URL after starting). */
  setWebhook(target: { url?: string; secret?: string; secretHeader?: string }): void;
  /** Stops timers and in-flight deliveries, frees the port. Safe to call twice. */
  close(): Promise<void>;
}

/** The verified webhook the emulator sends; SendTalk's own field names are unpublished. */
export function verifiedPayload(v: EmulatedVerification): JsonObject {
  return {
    verificationID: v.id,
    userPhone: v.phone,
    status: 'verified',
    verifiedTime: Date.parse(v.verifiedAt ?? new Date().toISOString()),
    languageCode: v.languageCode,
  };
}

const MAX_BODY = 64 * 1024;

/** Starts a SendTalk-compatible API server on loopback, for `--sandbox`, tests and other projects' suites. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const host = options.host ?? '127.0.0.1';
  const businessNumber = options.businessNumber ?? '6281100000000';
  const autoVerifyMs = options.autoVerifyMs ?? 2000;
  const attempts = Math.max(1, options.webhookAttempts ?? 3);
  const webhookTimeoutMs = options.webhookTimeoutMs ?? 5000;
  const target: WebhookTarget & { url?: string } = {
    url: options.webhookUrl ?? '',
    secret: options.secret,
    secretHeader: options.secretHeader ?? DEFAULT_SECRET_HEADER,
  };
  const verifications = new Map<string, EmulatedVerification>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) fn();
    }, ms);
    timers.add(timer);
  };
  const pause = (ms: number): Promise<void> => new Promise((resolve) => later(ms, resolve));

  async function deliver(v: EmulatedVerification): Promise<WebhookAttempt | undefined> {
    if (!target.url) return undefined;
    const body = JSON.stringify(verifiedPayload(v));
    let last: WebhookAttempt | undefined;
    for (let n = 1; n <= attempts && !closed; n++) {
      last = await postWebhook(target, body, webhookTimeoutMs, n);
      v.webhookAttempts.push(last);
      const delivered = last.status !== undefined && last.status >= 200 && last.status < 300;
      options.onEvent?.({ type: 'webhook', id: v.id, url: target.url, attempt: last, delivered, final: delivered || n === attempts });
      if (delivered) break;
      if (n < attempts) await pause(250 * 2 ** (n - 1));
    }
    return last;
  }

  async function verify(id: string): Promise<WebhookAttempt | undefined> {
    const v = verifications.get(id);
    if (!v) throw new SendtalkVerifyError('usage', `The emulator has no verification ${id}.`);
    if (v.status === 'pending') {
      v.status = 'verified';
      v.verifiedAt = new Date().toISOString();
    }
    return deliver(v);
  }

  function create(request: CreateRequest): EmulatedVerification {
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
      link: waMeLink(businessNumber, message),
      message,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + (request.expiryMinutes ?? options.defaultExpiryMinutes ?? 10) * 60_000).toISOString(),
      status: 'pending',
      webhookAttempts: [],
    };
    verifications.set(id, v);
    options.onEvent?.({ type: 'created', verification: v });
    if (autoVerifyMs !== false) later(autoVerifyMs, () => void verify(id));
    return v;
  }

  async function handleCreate(req: IncomingMessage): Promise<Envelope> {
    const keyError = validateApiKey(header(req, 'api-key'), options.apiKey);
    if (keyError) return keyError;
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const checked = validateCreateRequest(body);
    if ('status' in checked) return checked;
    const v = create(checked);
    return successEnvelope({
      verificationID: v.id,
      userPhone: v.phone,
      waLink: v.link,
      waMessage: v.message,
      qrCode: v.link,
      expiredTime: Date.parse(v.expiresAt),
    });
  }

  const server = createServer((req, res) => {
    const started = Date.now();
    const path = (req.url ?? '/').split('?')[0]!;
    const finish = (httpStatus: number, body: unknown): void => {
      send(res, httpStatus, body);
      const envelopeStatus = (body as Envelope | undefined)?.status;
      const error = (body as Envelope | undefined)?.error?.message || undefined;
      options.onEvent?.({ type: 'request', method: req.method ?? '', path, httpStatus, envelopeStatus, error, ms: Date.now() - started });
    };
    (async () => {
      if (options.latencyMs) await pause(options.latencyMs);
      if (path === CREATE_PATH) {
        if (req.method !== 'POST') return finish(405, { status: 405, error: { code: '40500', message: 'Method not allowed', field: '' }, data: null });
        return finish(200, await handleCreate(req));
      }
      if (path === '/_emulator/verifications' && req.method === 'GET') {
        return finish(200, { verifications: [...verifications.values()] });
      }
      const verifyMatch = /^\/_emulator\/verifications\/([^/]+)\/verify$/.exec(path);
      if (verifyMatch && req.method === 'POST') {
        const id = decodeURIComponent(verifyMatch[1]!);
        if (!verifications.has(id)) return finish(404, { error: `no verification ${id}` });
        const attempt = await verify(id);
        return finish(200, { verification: verifications.get(id), attempt });
      }
      finish(404, { status: 404, error: { code: '40400', message: 'Not found', field: '' }, data: null });
    })().catch((error: Error) => finish(500, { status: 500, error: { code: '50000', message: error.message, field: '' }, data: null }));
  });
  server.keepAliveTimeout = 2000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    throw new SendtalkVerifyError('usage', `The emulator could not listen on ${host}:${options.port ?? 0} (${error.code ?? error.message}).`, {
      hint: 'Pass another --port, or omit it to pick a free one.',
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    server,
    verifications,
    verify,
    setWebhook(next) {
      if (next.url !== undefined) target.url = next.url;
      if (next.secret !== undefined) target.secret = next.secret;
      if (next.secretHeader !== undefined) target.secretHeader = next.secretHeader;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
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

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        req.destroy();
        reject(new Error('request body too large'));
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
