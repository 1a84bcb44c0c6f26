import type { Delivery, RefusalReason } from './delivery.js';
import type { SecretLocation } from './secret.js';

/**
 * What arrived while waiting, counted: so that a wait that ends without a verified delivery can say
 * why (refused for a wrong secret, sent for another verification, nothing at all) instead of
 * guessing. JSON-ready; `--json` carries it as it is.
 */
export interface DeliveryTally {
  /** Requests that reached the listener (probes aside). */
  received: number;
  /** Accepted and for the verification waited for. */
  matched: number;
  /** Accepted, but for another verification (or for none this tool could tell). */
  otherVerification: number;
  /** The ids (or phone numbers) those others carried, the first few. */
  others: string[];
  refused: number;
  /** Refusals by reason. */
  refusedBy: Partial<Record<RefusalReason, number>>;
  /** Where the secret came, when refusals for a missing secret found it elsewhere (names only). */
  secretLocations: SecretLocation[];
}

/** How many distinct other ids and secret locations a tally keeps: enough to name, bounded against a flood. */
const KEEP = 5;

/** Counts deliveries as they come; `matched` decides, per accepted delivery, whether it is ours. */
export class DeliveryCounter {
  private readonly tally: DeliveryTally = { received: 0, matched: 0, otherVerification: 0, others: [], refused: 0, refusedBy: {}, secretLocations: [] };

  add(delivery: Delivery, matched: boolean): void {
    const t = this.tally;
    t.received++;
    if (!delivery.accepted) {
      t.refused++;
      const reason = delivery.reason ?? 'not-found';
      t.refusedBy[reason] = (t.refusedBy[reason] ?? 0) + 1;
      const at = delivery.secretLocation;
      if (at && t.secretLocations.length < KEEP && !t.secretLocations.some((l) => l.in === at.in && l.name === at.name)) t.secretLocations.push(at);
    } else if (matched) {
      t.matched++;
    } else {
      t.otherVerification++;
      const label = delivery.verificationId ?? (delivery.phone !== undefined ? `phone ${delivery.phone}` : 'no id or phone');
      if (t.others.length < KEEP && !t.others.includes(label)) t.others.push(label);
    }
  }

  /** A copy: the counter goes on counting. */
  snapshot(): DeliveryTally {
    const t = this.tally;
    return { ...t, others: [...t.others], refusedBy: { ...t.refusedBy }, secretLocations: [...t.secretLocations] };
  }
}
