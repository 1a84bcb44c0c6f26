import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { SendtalkVerifyError } from '../errors.js';
import { ENV_VARS } from '../config.js';

// What the three servers of this tool (the webhook listener, the emulator, the local page) share:
// binding with errors a user can act on, the connection cap, reading a bounded body, and answering.

/**
 * Binds `server` to `host:port`; a failure is a `SendtalkVerifyError` that says what to change
 * (another port, another address). `what` names the server in the rare error nobody can fix by flag.
 */
export async function listen(server: Server, port: number, host: string, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    throw listenError(error, host, port, what);
  });
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number, what: string): SendtalkVerifyError {
  switch (error.code) {
    case 'EADDRINUSE':
      return new SendtalkVerifyError('usage', `Port ${port} on ${host} is already in use.`, { hint: 'Pass another --port, or omit it to pick a free one.' });
    case 'EACCES':
      return new SendtalkVerifyError('usage', `Not allowed to listen on port ${port}.`, { hint: 'Use a port above 1023 with --port.' });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new SendtalkVerifyError('usage', `Cannot listen on ${host}: no such local address.`, {
        hint: `Listen on 127.0.0.1 or another address of this machine (${ENV_VARS.listenHost}, or the emulator's --host).`,
      });
    default:
      return new SendtalkVerifyError('internal', `Could not start ${what}: ${error.message}`, { cause: error });
  }
}

/**
 * A server's connection cap, shared by the webhook listener and the local page (each with its own
 * cap, so that a flood of one never takes the other's file descriptors). Node's `maxConnections`
 * drops every new connection once the cap is reached, so idle keep-alive connections (a flood of
 * them, each sending a request now and then) could lock a real delivery or page out for good.
 * Instead, at the cap, the oldest idle connections (between requests) are closed — an eighth of
 * the cap at a time, so a flood does not cost a scan per connection — and the new one is kept; a
 * real sender whose idle connection is closed just opens another. Only when every connection is
 * busy with a request (a page's event stream is one, for as long as it is open) is the new one
 * dropped.
 */
export function makeRoomAtTheCap(server: Server, max: number): void {
  /** Open connections, oldest first. */
  const open = new Set<Duplex>();
  server.on('connection', (socket: Duplex) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    if (open.size <= max) return;
    let freed = 0;
    const batch = Math.max(1, Math.floor(max / 8));
    for (const other of open) {
      if (freed >= batch) break;
      if (other === socket || other.destroyed || inRequest(other)) continue;
      other.destroy();
      open.delete(other);
      freed++;
    }
    if (freed === 0) {
      open.delete(socket);
      socket.destroy();
    }
  });
}

/**
 * True while the connection is in the middle of a request: node:http sets the answer being
 * written as the socket's `_httpMessage` (its own closeIdleConnections reads it the same way),
 * which costs nothing per request, unlike a listener of our own.
 */
function inRequest(socket: Duplex): boolean {
  const answer = (socket as Duplex & { _httpMessage?: { finished?: boolean } | null })._httpMessage;
  return Boolean(answer) && !answer!.finished;
}

/** The largest request body read by default: a webhook delivery or a create request is a few hundred bytes. */
const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads the whole body, up to `limit` bytes, and calls `done` once: with the bytes, `too-large` as
 * soon as they pass the limit (the rest is read and dropped), or `aborted` when the client went
 * away. A callback, not a promise: the listener's hot path pays no turn of the event loop for it.
 */
export function readBody(req: IncomingMessage, limit: number, done: (body: Buffer | 'too-large' | 'aborted') => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const settle = (value: Buffer | 'too-large' | 'aborted'): void => {
    if (settled) return;
    settled = true;
    done(value);
  };
  req.on('data', (chunk: Buffer) => {
    if (settled) return; // past the limit: the rest is read and dropped
    size += chunk.length;
    if (size > limit) {
      chunks.length = 0;
      return settle('too-large');
    }
    chunks.push(chunk);
  });
  req.on('end', () => settle(Buffer.concat(chunks, size)));
  req.on('error', () => settle('aborted'));
  req.on('close', () => settle(req.complete ? Buffer.concat(chunks, size) : 'aborted'));
}

/** `readBody` as a promise of UTF-8 text, for servers off the hot path; rejects when the client went away. */
export function readBodyText(req: IncomingMessage, limit = DEFAULT_MAX_BODY_BYTES): Promise<string | 'too-large'> {
  return new Promise((resolve, reject) => {
    readBody(req, limit, (body) => {
      if (body === 'aborted') reject(new Error('the client went away before its request was read'));
      else resolve(body === 'too-large' ? body : body.toString('utf8'));
    });
  });
}

/**
 * Reads and drops the rest of a refused body, up to `max` bytes or `maxMs`, then cuts the
 * connection. The declared-length check catches big uploads up front; this catches the ones that
 * declare nothing (chunked), which Node would otherwise drain for as long as they keep coming,
 * and the slow ones, which would hold the connection until the request time-out.
 */
export function capDrain(req: IncomingMessage, max: number, maxMs: number): void {
  let drained = 0;
  const timer = setTimeout(() => req.socket.destroy(), maxMs);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > max) req.socket.destroy();
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
}

/** Parses JSON, or returns undefined: a body that is not JSON is a validation error, not a crash. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The first value of a request header. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Writes a JSON answer once; a request already answered (or whose connection is gone) is left
 * alone. A string `body` is taken as JSON serialised already (an answer sent often is serialised once).
 */
export function sendJson(res: ServerResponse, status: number, body: unknown, extraHeaders?: Record<string, string>, closeConnection = false): void {
  sendText(res, status, typeof body === 'string' ? body : JSON.stringify(body), JSON_TYPE, extraHeaders, closeConnection);
}

/** Writes an answer once, with its length (a HEAD request gets the headers only: Node drops the body). */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType: string,
  extraHeaders?: Record<string, string>,
  closeConnection = false,
): void {
  if (res.headersSent || res.destroyed) return;
  // Headers as a flat list: cheaper for Node than an object, on the path every delivery takes.
  const headers = ['content-type', contentType, 'content-length', String(Buffer.byteLength(text))];
  if (closeConnection) headers.push('connection', 'close');
  if (extraHeaders) for (const name in extraHeaders) headers.push(name, extraHeaders[name]!);
  res.writeHead(status, headers);
  res.end(text);
}
