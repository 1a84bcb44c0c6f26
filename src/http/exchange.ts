import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { formatDuration } from '../duration.js';

export interface OutgoingRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** Sent byte for byte; omitted for a GET. */
  body?: Buffer;
}

export interface ExchangeOptions {
  /** Bound on the whole exchange: connecting, sending, and reading the answer. @default 10_000 */
  timeoutMs?: number;
  /** Bytes of the answer's body kept (the rest is read and dropped). @default 4096 */
  keepBodyBytes?: number;
  signal?: AbortSignal;
}

export type FailureKind = 'timeout' | 'refused' | 'reset' | 'dns' | 'tls' | 'aborted' | 'invalid-url' | 'other';

/** Why no answer came. `message` is short and plain, fit for a table cell. */
export interface ExchangeFailure {
  kind: FailureKind;
  code?: string;
  message: string;
}

/** What happened to one request: an answer, or a failure — never an exception. */
export interface HttpExchange {
  /** HTTP status, when an answer came. */
  status?: number;
  headers?: IncomingHttpHeaders;
  /** The first `keepBodyBytes` of the answer's body. */
  body: Buffer;
  /** The answer's body did not arrive in full (cut, or still coming at the time-out). */
  bodyIncomplete?: boolean;
  failure?: ExchangeFailure;
  /** Every byte of the request body was handed to the network before the exchange ended. */
  requestSent: boolean;
  ms: number;
}

/**
 * Sends one HTTP request and resolves with what happened. The time bound covers the whole
 * exchange (a server that trickles bytes cannot stretch it), and every failure is data, so a
 * caller grading an endpoint never has to tell its own crash from the endpoint's. The body is sent
 * as given (bytes unchanged), and `*.localhost` names resolve to loopback as RFC 6761 asks, so a
 * self-hosted localtunnel server on this machine works without editing /etc/hosts.
 */
export function runExchange(request: OutgoingRequest, options: ExchangeOptions = {}): Promise<HttpExchange> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const keep = options.keepBodyBytes ?? 4096;
  const started = Date.now();
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(request.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    } catch {
      return resolve({ body: Buffer.alloc(0), requestSent: false, ms: 0, failure: { kind: 'invalid-url', message: `not an http(s) URL: ${request.url}` } });
    }

    let settled = false;
    let requestSent = false;
    let response: IncomingMessage | undefined;
    const kept: Buffer[] = [];
    let keptBytes = 0;

    const finish = (failure?: ExchangeFailure, bodyIncomplete = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const exchange: HttpExchange = { body: Buffer.concat(kept), requestSent, ms: Date.now() - started };
      if (response) {
        // An answer came: what failed afterwards (the body, the rest of our upload) does not undo it.
        exchange.status = response.statusCode;
        exchange.headers = response.headers;
        if (bodyIncomplete) exchange.bodyIncomplete = true;
      } else if (failure) {
        exchange.failure = failure;
      }
      req.destroy();
      resolve(exchange);
    };

    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = request.body.length;
    // A fresh connection per request: one case's broken connection never leaks into the next.
    let req: ReturnType<typeof send>;
    try {
      req = send(url, { method: request.method, headers, agent: false, lookup: lookupWithLocalhost });
    } catch (error) {
      // Node refuses an invalid header name or value before any byte is sent.
      return resolve({ body: Buffer.alloc(0), requestSent: false, ms: 0, failure: classify(error as NodeJS.ErrnoException) });
    }

    const timer = setTimeout(() => finish({ kind: 'timeout', message: `no answer within ${formatDuration(timeoutMs)}` }, true), timeoutMs);
    const onAbort = (): void => finish({ kind: 'aborted', message: 'interrupted' }, true);
    // Before any way out: a request cut by `finish` (an abort included) still emits its error.
    req.on('error', (error: NodeJS.ErrnoException) => finish(classify(error), true));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    req.on('finish', () => {
      requestSent = true;
    });
    req.on('response', (res) => {
      response = res;
      res.on('data', (chunk: Buffer) => {
        if (keptBytes < keep) {
          const part = chunk.subarray(0, keep - keptBytes);
          kept.push(part);
          keptBytes += part.length;
        }
      });
      res.on('end', () => finish());
      res.on('error', () => finish(undefined, true));
      res.on('close', () => finish(undefined, !res.complete));
    });
    req.end(request.body);
  });
}

function classify(error: NodeJS.ErrnoException): ExchangeFailure {
  const code = error.code;
  switch (code) {
    case 'ABORT_ERR':
      return { kind: 'aborted', code, message: 'interrupted' };
    case 'ECONNREFUSED':
      return { kind: 'refused', code, message: 'connection refused' };
    case 'ECONNRESET':
    case 'EPIPE':
      return { kind: 'reset', code, message: 'connection closed without an answer' };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { kind: 'dns', code, message: 'host name not found' };
    default:
      if (code && /CERT|TLS|SSL|SELF_SIGNED/.test(code)) return { kind: 'tls', code, message: `TLS error (${code})` };
      return { kind: 'other', code, message: code ? `${error.message} (${code})` : error.message };
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup, except that `localhost` subdomains are loopback without asking the resolver. */
export function lookupWithLocalhost(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  if (/\.localhost\.?$/i.test(hostname)) {
    const v6 = options.family === 6 || options.family === 'IPv6';
    const address = v6 ? '::1' : '127.0.0.1';
    const family = v6 ? 6 : 4;
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
    return;
  }
  dnsLookup(hostname, options, callback as never);
}
