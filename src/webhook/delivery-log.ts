import type { Delivery } from './delivery.js';
import type { SecretLocation } from './secret.js';

/**
 * One line of a `listen --log` file (NDJSON), and the input of `trigger --replay`. The body is
 * kept as base64 so the exact bytes survive (a replay must send what SendTalk sent); the headers
 * are already masked by the listener, so no secret is ever written.
 */
export interface DeliveryLogRecord extends ListenerFacts, SenderFields {}

/** What the listener itself wrote of a record: numbers, its own words and the body's base64. */
export interface ListenerFacts {
  type: 'delivery';
  seq: number;
  receivedAt: string;
  status: number;
  accepted: boolean;
  reason: string | null;
  /** The raw body bytes, base64. */
  bodyBase64: string;
}

/**
 * What the sender chose, or what quotes it: the only part of a record that can hold a secret or a
 * control character (`listen --json` masks and escapes this part alone; see `Output.recordLine`).
 */
export interface SenderFields {
  method: string;
  path: string;
  detail: string | null;
  verificationId: string | null;
  phone: string | null;
  /** The sender's User-Agent (also among `headers`), said apart: a tunnel may treat senders by it. */
  userAgent: string | null;
  headers: Record<string, string>;
  /** Only on a `secret-missing` refusal whose secret came elsewhere: where, by name. */
  secretLocation?: SecretLocation;
}

/**
 * A delivery's record in its two parts. `bodyBase64` replaces the body's own base64 (`listen
 * --json` writes that of the body with its secrets masked).
 */
export function recordParts(d: Delivery, bodyBase64 = d.body.toString('base64')): [ListenerFacts, SenderFields] {
  const facts: ListenerFacts = {
    type: 'delivery',
    seq: d.seq,
    receivedAt: d.receivedAt,
    status: d.status,
    accepted: d.accepted,
    reason: d.reason ?? null,
    bodyBase64,
  };
  const sender: SenderFields = {
    method: d.method,
    path: d.path,
    detail: d.detail ?? null,
    verificationId: d.verificationId ?? null,
    phone: d.phone ?? null,
    userAgent: d.headers['user-agent'] ?? null,
    headers: d.headers,
  };
  if (d.secretLocation) sender.secretLocation = d.secretLocation;
  return [facts, sender];
}

/** The record as one object: a `--log` line. */
export function toLogRecord(d: Delivery): DeliveryLogRecord {
  const [facts, sender] = recordParts(d);
  return Object.assign(facts, sender);
}

/** Parses one log line; returns undefined for blank lines, lines of other types, or torn lines. */
export function parseLogLine(line: string): DeliveryLogRecord | undefined {
  if (line.trim() === '') return undefined;
  try {
    const record = JSON.parse(line) as Partial<DeliveryLogRecord>;
    if (record.type !== 'delivery' || typeof record.bodyBase64 !== 'string') return undefined;
    return record as DeliveryLogRecord;
  } catch {
    return undefined;
  }
}
