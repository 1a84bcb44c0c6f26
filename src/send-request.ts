import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface SendOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: Buffer | string;
  /** Bound on the whole exchange, connecting included. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Largest answer body kept; the rest is read and dropped. @default 65_536 */
  maxBodyBytes?: number;
}

export interface SendAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  ms: number;
}

/** Why a request got no answer, in words a user can act on. */
export class SendFailure extends Error {
  override readonly name = 'SendFailure';
  constructor(readonly code: string, message: string, readonly ms: number) {
    super(message);
  }
}

/**
 * One HTTP(S) request with node:http, for the few small exchanges outside the SendTalk client: the
 * tunnel probe, the registration diagnosis and `--forward-to`. The body is sent as given (bytes
 * unchanged), and `*.localhost` names resolve to loopback as RFC 6761 asks, so a self-hosted
 * localtunnel server on this machine works without editing /etc/hosts.
 */
export function sendRequest(url: string, options: SendOptions): Promise<SendAnswer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return reject(new SendFailure('EINVALIDURL', `${url} is not a URL`, 0));
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const limit = options.maxBodyBytes ?? 65_536;
    const fail = (error: NodeJS.ErrnoException): void => reject(describeFailure(error, options.timeoutMs, Date.now() - started));
    const req = send(target, {
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: false,
      lookup: lookupWithLocalhost,
      signal: options.signal,
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= limit) chunks.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: Date.now() - started });
      });
      res.on('error', fail);
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT_TOTAL' })), options.timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    req.end(options.body);
  });
}

function describeFailure(error: NodeJS.ErrnoException, timeoutMs: number, ms: number): SendFailure {
  const code = error.code ?? error.name;
  const text: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'DNS lookup failed',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: 'connection timed out',
    ETIMEDOUT_TOTAL: `no answer within ${timeoutMs} ms`,
    ABORT_ERR: 'cancelled',
    CERT_HAS_EXPIRED: 'its TLS certificate has expired',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  };
  return new SendFailure(code, text[code] ?? error.message, ms);
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
