import type { Delivery } from './listener-types.js';

interface Waiter {
  predicate: (delivery: Delivery) => boolean;
  resolve: (delivery: Delivery) => void;
}

/**
 * The accepted deliveries a listener remembers (the latest `keep`), and the callers waiting for one
 * that matches. `list` is the array the handle exposes as `accepted`: it is updated in place.
 */
export class AcceptedDeliveries {
  readonly list: Delivery[] = [];
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly keep: number) {}

  /** Keeps the delivery (dropping the oldest past `keep`) and wakes every waiter it satisfies. */
  remember(delivery: Delivery): void {
    if (this.keep > 0) {
      this.list.push(delivery);
      if (this.list.length > this.keep) this.list.shift();
    }
    for (const waiter of this.waiters) {
      if (waiter.predicate(delivery)) {
        this.waiters.delete(waiter);
        waiter.resolve(delivery);
      }
    }
  }

  /** The first remembered or future delivery that `predicate` accepts; rejects when `signal` aborts. */
  waitFor(predicate: (delivery: Delivery) => boolean, signal?: AbortSignal): Promise<Delivery> {
    const past = this.list.find(predicate);
    if (past) return Promise.resolve(past);
    return new Promise<Delivery>((resolve, reject) => {
      const waiter: Waiter = { predicate, resolve: (d) => { signal?.removeEventListener('abort', onAbort); resolve(d); } };
      const onAbort = (): void => {
        this.waiters.delete(waiter);
        reject(signal?.reason ?? new Error('aborted'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }
}
