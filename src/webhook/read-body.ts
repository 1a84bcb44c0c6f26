import type { IncomingMessage } from 'node:http';

/** Reads the whole body, up to `limit` bytes, and calls `done` once. */
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
