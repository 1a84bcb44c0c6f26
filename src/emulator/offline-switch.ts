import type { Server } from 'node:http';
import type { Scheduler } from './scheduler.js';

/**
 * Takes the emulator off the network for a while (`goOffline`): the listening socket is closed, so
 * new connections are refused, and it listens again on the same port afterwards.
 */
export class OfflineSwitch {
  private pending: { done: Promise<void>; back(): void } | undefined;

  constructor(
    private readonly server: Server,
    private readonly host: string,
    private readonly port: number,
    private readonly scheduler: Scheduler,
  ) {}

  get offline(): boolean {
    return this.pending !== undefined;
  }

  /** Closes the listening socket (new connections are refused) and listens again after `ms`. */
  goOffline(ms: number): Promise<void> {
    const { server, scheduler } = this;
    if (scheduler.stopped) return Promise.resolve();
    if (this.pending) return this.pending.done;
    server.close();
    let back!: () => void;
    const done = new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const onStop = (): void => finish();
      const finish = (): void => {
        scheduler.cancel(timer);
        scheduler.signal.removeEventListener('abort', onStop);
        this.pending = undefined;
        resolve();
      };
      scheduler.signal.addEventListener('abort', onStop, { once: true });
      back = () => {
        if (this.pending?.done !== done || scheduler.stopped) return;
        scheduler.cancel(timer);
        // If the port was taken meanwhile the emulator stays offline; either way the wait is over.
        const failed = (): void => finish();
        server.once('error', failed);
        server.listen(this.port, this.host, () => {
          server.off('error', failed);
          finish();
        });
      };
      timer = scheduler.later(ms, () => back());
    });
    this.pending = { done, back };
    return done;
  }

  /** Ends `goOffline` early. */
  goOnline(): Promise<void> {
    if (!this.pending) return Promise.resolve();
    const { done, back } = this.pending;
    back();
    return done;
  }
}
