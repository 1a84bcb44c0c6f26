import type { IncomingMessage } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type FakeAnswer = { status?: number; headers?: Record<string, string>; body?: string | object; hang?: boolean; destroy?: boolean; /** Answer this much later. */ delayMs?: number };

/**
 * A scripted HTTP server standing in for the SendTalk API when a test needs an answer the
 * emulator would never give (an HTML 502, a hang, an odd field name). Records every request.
 */
export class FakeApi extends LoopbackServer {
  readonly requests: RecordedRequest[] = [];
  private answers: FakeAnswer[] = [];

  constructor(private readonly fallback: FakeAnswer = { status: 200, body: {} }) {
    super();
  }

  /** Queue answers for the next requests; when the queue is empty the fallback answers. */
  answer(...answers: FakeAnswer[]): this {
    this.answers.push(...answers);
    return this;
  }

  get url(): string {
    return this.origin;
  }

  async start(): Promise<this> {
    await this.listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const a = this.answers.shift() ?? this.fallback;
        if (a.hang) return;
        if (a.destroy) return req.socket.destroy();
        const body = typeof a.body === 'string' ? a.body : JSON.stringify(a.body ?? {});
        const send = (): void => {
          res.writeHead(a.status ?? 200, { 'content-type': typeof a.body === 'string' ? 'text/html' : 'application/json', ...a.headers });
          res.end(body);
        };
        if (a.delayMs) setTimeout(send, a.delayMs);
        else send();
      });
    });
    return this;
  }
}

/** A success envelope, as SendTalk wraps every answer. */
export function envelope(data: object | null, error = { code: '', message: '', field: '' }, status = 200): object {
  return { status, error, data };
}
