import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  /** The HTTP status of the first answer, or undefined when the connection closed without one. */
  status?: number;
  /** Everything the server sent. */
  text: string;
  /** The server closed (or reset) the connection. */
  closed: boolean;
}

/**
 * Sends raw bytes over one TCP connection and collects what comes back until the server closes
 * or `waitMs` passes. For requests no well-behaved HTTP client would send.
 */
export function rawRequest(port: number, chunks: Array<string | Buffer | { pauseMs: number }>, waitMs = 3000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
      resolve({ status: status ? Number(status) : undefined, text, closed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    const send = async (): Promise<void> => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        if (typeof chunk === 'object' && 'pauseMs' in chunk) await new Promise((r) => setTimeout(r, chunk.pauseMs));
        else socket.write(chunk);
      }
    };
    // A write that throws ends the exchange as a closed connection would, not as an unhandled rejection.
    socket.on('connect', () => {
      send().catch(() => finish(true));
    });
  });
}

/** A request head with the given lines, ready to send. */
export function head(requestLine: string, headers: Record<string, string | number> | Array<[string, string | number]>, port: number): string {
  const list = Array.isArray(headers) ? headers : Object.entries(headers);
  return `${requestLine}\r\nHost: 127.0.0.1:${port}\r\n${list.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}
