import type { ServerResponse } from 'node:http';
import type { JsonObject } from '../fields.js';

/**
 * The answer to an accepted delivery, serialised once: `success` as TapTalk's own webhook
 * endpoints answer, `ok` as this listener has always answered (scripts may read it).
 */
export const ACCEPTED_BODY = JSON.stringify({ success: true, ok: true });

/** The last resort of a request that threw: a 500 if nothing was answered yet. */
export function internalError(res: ServerResponse): void {
  if (!res.headersSent) respond(res, 500, { error: 'internal error' }, true);
}

/** Writes a JSON answer once; a request already answered (or whose connection is gone) is left alone. */
export function respond(res: ServerResponse, status: number, body: JsonObject | string, closeConnection: boolean, extra?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  // Headers as a flat list: cheaper for Node than an object, on the path every delivery takes.
  const headers = ['content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(text))];
  if (closeConnection) headers.push('connection', 'close');
  if (extra) for (const name in extra) headers.push(name, extra[name]!);
  res.writeHead(status, headers);
  res.end(text);
}
