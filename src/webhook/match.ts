import { findString, isJsonObject } from '../fields.js';

/** What a webhook payload says about which verification it is for (names are unpublished). */
export interface DeliveryFacts {
  verificationId?: string;
  phone?: string;
  /** The payload's own status field (e.g. `verified`), when it has one. */
  payloadStatus?: string;
}

/** Reads id, phone and status at the top level or one level down, under any known alias. */
export function extractDeliveryFacts(payload: unknown): DeliveryFacts {
  if (!isJsonObject(payload)) return {};
  const facts: DeliveryFacts = {};
  const id = findString(payload, 'id', 1);
  const phone = findString(payload, 'phone', 1);
  const status = findString(payload, 'status', 1);
  if (id !== undefined) facts.verificationId = id;
  if (phone !== undefined) facts.phone = phone;
  if (status !== undefined) facts.payloadStatus = status;
  return facts;
}

const digitsOnly = (phone: string): string => phone.replace(/\D/g, '');

/**
 * Decides whether a delivery is for the verification we wait for: by id when the payload has one
 * (a different id never matches), else by phone number.
 */
export function matchDelivery(facts: DeliveryFacts, target: { id: string; phone: string }): 'id' | 'phone' | undefined {
  if (facts.verificationId !== undefined) return facts.verificationId === target.id ? 'id' : undefined;
  if (facts.phone !== undefined && digitsOnly(facts.phone) !== '' && digitsOnly(facts.phone) === digitsOnly(target.phone)) return 'phone';
  return undefined;
}
