import type { Verification } from '../client/parse-verification.js';
import type { Delivery } from '../webhook/listener.js';
import { DeliveryCounter, type DeliveryTally } from '../webhook/delivery-tally.js';
import { matchDelivery } from '../webhook/match.js';

/** Most deliveries held back while the create request is on its way (a flood must not fill the memory). */
const MAX_EARLY = 1000;

/**
 * The deliveries `create` sees, matched against its verification. A delivery can beat the create's
 * own answer (the emulator, a fast phone): it is held and matched once the verification is known.
 */
export class VerificationDeliveries {
  private target?: { id: string; phone: string };
  private readonly counter = new DeliveryCounter();
  private readonly early: Delivery[] = [];

  /** True for an accepted delivery about this verification; false for any before it is known. */
  readonly matches = (delivery: Delivery): boolean => delivery.accepted && this.target !== undefined && matchDelivery(delivery, this.target) !== undefined;

  /** Counts a delivery; returns whether it matched, or undefined while the verification is not known yet. */
  arrived(delivery: Delivery): boolean | undefined {
    if (this.target === undefined) {
      if (this.early.length < MAX_EARLY) this.early.push(delivery);
      return undefined;
    }
    const matched = this.matches(delivery);
    this.counter.add(delivery, matched);
    return matched;
  }

  /** The verification now exists: the deliveries held back are counted against it. */
  created(verification: Verification): void {
    this.target = { id: verification.id, phone: verification.phone };
    for (const delivery of this.early.splice(0)) this.counter.add(delivery, this.matches(delivery));
  }

  /** How `delivery` matched the verification (by id, or by phone). */
  matchedBy(delivery: Delivery): 'id' | 'phone' | undefined {
    return this.target === undefined ? undefined : matchDelivery(delivery, this.target);
  }

  snapshot(): DeliveryTally {
    return this.counter.snapshot();
  }
}
