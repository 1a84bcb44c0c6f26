import type { IncomingHttpHeaders } from 'node:http';
import { runExchange } from './exchange.js';

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
 * `exchange` for callers that want an answer or an exception: the tunnel probe, the registration
 * diagnosis, `--forward-to` and `doctor`.
 */
export async function sendRequest(url: string, options: SendOptions): Promise<SendAnswer> {
  const headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k, String(v)]));
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const result = await runExchange(
    { url, method: options.method ?? 'GET', headers, body },
    { timeoutMs: options.timeoutMs, signal: options.signal, keepBodyBytes: options.maxBodyBytes ?? 65_536 },
  );
  if (result.status === undefined) {
    const failure = result.failure ?? { kind: 'other', message: 'no answer' };
    throw new SendFailure(failure.code ?? failure.kind, failure.message, result.ms);
  }
  return { status: result.status, headers: result.headers ?? {}, body: result.body, ms: result.ms };
}
