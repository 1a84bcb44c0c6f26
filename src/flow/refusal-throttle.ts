import type { Delivery, RefusalReason } from '../webhook/listener.js';

/** Refusals of one reason that were not reported one by one during a window. */
export interface RefusalSummary {
  reason: RefusalReason;
  /** How many were counted but not shown or logged one by one. */
  suppressed: number;
  /** Time of the first and last of them (ISO). */
  from: string;
  to: string;
}

/**
 * Decides which refused requests are reported one by one. The first `perWindow` of each reason in
 * a window are; the rest are only counted and come out as one summary per reason. A flood of
 * scanners or bad senders then costs a line per reason and window, not one per request (3,584
 * refusal records for 512 sockets polling every 4 s), and a valid delivery stays easy to spot.
 */
export class RefusalThrottle {
  private windowStart = 0;
  private readonly seen = new Map<RefusalReason, number>();
  private pending = new Map<RefusalReason, RefusalSummary>();

  constructor(
    private readonly perWindow = 20,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when this refusal is to be reported on its own; false when it only counts. */
  admit(delivery: Delivery): boolean {
    const reason = delivery.reason;
    if (delivery.accepted || reason === undefined) return true;
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.seen.clear();
    }
    const count = (this.seen.get(reason) ?? 0) + 1;
    this.seen.set(reason, count);
    if (count <= this.perWindow) return true;
    const summary = this.pending.get(reason);
    if (summary) {
      summary.suppressed++;
      summary.to = delivery.receivedAt;
    } else {
      this.pending.set(reason, { reason, suppressed: 1, from: delivery.receivedAt, to: delivery.receivedAt });
    }
    return false;
  }

  /** The summaries gathered since the last call (empty when nothing was held back). */
  drain(): RefusalSummary[] {
    if (this.pending.size === 0) return [];
    const out = [...this.pending.values()];
    this.pending = new Map();
    return out;
  }
}
