import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * How far a page's event stream may fall behind (bytes written but not yet taken by the peer,
 * beyond the snapshot it was sent on connecting) before it is dropped. Without a bound, a tab that
 * stops reading (asleep, stalled, or a script that never reads) makes the process hold every event
 * for it, without end. A page that is dropped reconnects by itself (EventSource does) and gets a
 * fresh snapshot, so falling behind costs it nothing but the reconnection.
 */
export const STREAM_MAX_BEHIND = 1024 * 1024;

/** How soon, in ms, a page whose stream dropped tries again (the browser's own default is 3 s). */
const RETRY_MS = 1000;

interface Stream {
  readonly res: ServerResponse;
  /** The most it may hold unsent: the snapshot's rest plus STREAM_MAX_BEHIND, then STREAM_MAX_BEHIND once that drained. */
  allowance: number;
}

/** One Server-Sent Event, serialised once for every page it goes to. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The open pages' event streams, each with a bounded send buffer. */
export class EventStreams {
  private readonly open = new Set<Stream>();

  constructor(
    private readonly maxStreams: number,
    private readonly maxBehind = STREAM_MAX_BEHIND,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /**
   * Starts a stream on `res` with `snapshot` (everything the page needs, so that a page that
   * reconnects is whole again without being sent anything twice). False when as many streams as
   * allowed are open: the caller refuses the request.
   */
  start(res: ServerResponse, headers: OutgoingHttpHeaders, snapshot: string): boolean {
    if (this.open.size >= this.maxStreams) return false;
    res.writeHead(200, headers);
    res.write(`retry: ${RETRY_MS}\n\n${snapshot}`);
    const stream: Stream = { res, allowance: res.writableLength + this.maxBehind };
    this.open.add(stream);
    res.on('drain', () => {
      stream.allowance = this.maxBehind;
    });
    // The response's close: the stream ended, or its connection did (the page left).
    res.once('close', () => this.open.delete(stream));
    return true;
  }

  /** Sends one frame to every stream; a stream that is too far behind is dropped instead. */
  send(frame: string): void {
    for (const stream of this.open) {
      if (stream.res.destroyed) {
        this.open.delete(stream);
        continue;
      }
      stream.res.write(frame);
      if (stream.res.writableLength > stream.allowance) {
        this.open.delete(stream);
        // Destroyed, not ended: an end would wait for the very peer that does not read.
        stream.res.destroy();
      }
    }
  }

  /** Ends every stream (the page is closing). */
  endAll(): void {
    for (const { res } of this.open) res.end();
    this.open.clear();
  }
}
