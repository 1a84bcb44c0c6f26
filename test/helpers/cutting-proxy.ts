import { request, type ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

/**
 * A forward HTTP proxy on loopback for a browser (Chromium's `--proxy-server`), which can cut the
 * streams it carries on demand: a dropped network, as the page sees it, without touching the
 * server. Requests go on unchanged, Host included.
 */
export class CuttingProxy extends LoopbackServer {
  private readonly streams = new Set<ServerResponse>();

  get url(): string {
    return this.origin;
  }

  async start(): Promise<void> {
    await this.listen((req, res) => {
      const upstream = request(req.url!, { method: req.method, headers: req.headers, agent: false }, (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => {
        this.streams.delete(res);
        upstream.destroy();
      });
      this.streams.add(res);
      req.pipe(upstream);
    });
  }

  /** Cuts every answer still in flight (an event stream is one until it ends). */
  cut(): void {
    for (const res of this.streams) res.destroy();
    this.streams.clear();
  }
}
