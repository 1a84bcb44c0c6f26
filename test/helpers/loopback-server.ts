import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server of a test on 127.0.0.1, on a free port; the base of the fake servers. */
export abstract class LoopbackServer {
  private server?: Server;

  /** The server's origin, `http://127.0.0.1:<port>`. Only once started. */
  protected get origin(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  protected async listen(handler: RequestListener): Promise<void> {
    this.server = createServer(handler);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  /** Cuts open connections (a hanging answer included) and frees the port. Safe before start. */
  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
