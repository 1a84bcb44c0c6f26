import type { IncomingMessage } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type FakeAnswer = {
  status?: number;
  headers?: Record<string, string>;
  body?: string | object;
  hang?: boolean;
  destroy?: boolean;
  /** Answer this much later. */
  delayMs?: number;
  /** Stream a JSON-looking body without end (chunked), until the client goes or 256 MiB are sent. */
  endless?: boolean;
};

/**
 * A scripted HTTP server standing in for the SendTalk API when a test needs an answer the
 * emulator would never give (an HTML 502, a hang, an odd field name). Records every request.
 */
export class FakeApi extends LoopbackServer {
  readonly requests: RecordedRequest[] = [];
  /** Bytes of body written by `endless` answers. */
  streamed = 0;
  /** Called as each request has arrived, before it is answered: what else had happened by then. */
  onRequest?: (request: RecordedRequest) => void;
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
        const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.requests.push(recorded);
        this.onRequest?.(recorded);
        const a = this.answers.shift() ?? this.fallback;
        if (a.hang) return;
        if (a.destroy) return req.socket.destroy();
        if (a.endless) return this.stream(res);
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

  private stream(res: import('node:http').ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    res.write('{"status":200,"data":{"pad":"');
    const more = (): void => {
      while (!res.destroyed && this.streamed < 256 * 1024 * 1024) {
        this.streamed += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end();
    };
    res.on('close', () => res.removeAllListeners('drain'));
    more();
  }
}

/** A success envelope, as SendTalk wraps every answer. */
export function envelope(data: object | null, error = { code: '', message: '', field: '' }, status = 200): object {
  return { status, error, data };
}
