import type { Delivery } from './delivery.js';
import type { SecretLocation } from './secret.js';

/**
 * One line of a `listen --log` file (NDJSON), and the input of `trigger --replay`. The body is
 * kept as base64 so the exact bytes survive (a replay must send what SendTalk sent); the headers
 * are already masked by the listener, so no secret is ever written.
 */
export interface DeliveryLogRecord {
  type: 'delivery';
  seq: number;
  receivedAt: string;
  method: string;
  path: string;
  status: number;
  accepted: boolean;
  reason: string | null;
  detail: string | null;
  verificationId: string | null;
  phone: string | null;
  /** The sender's User-Agent (also among `headers`), said apart: a tunnel may treat senders by it. */
  userAgent: string | null;
  headers: Record<string, string>;
  /** The raw body bytes, base64. */
  bodyBase64: string;
  /** Only on a `secret-missing` refusal whose secret came elsewhere: where, by name. */
  secretLocation?: SecretLocation;
}

export function toLogRecord(d: Delivery): DeliveryLogRecord {
  return {
    type: 'delivery',
    seq: d.seq,
    receivedAt: d.receivedAt,
    method: d.method,
    path: d.path,
    status: d.status,
    accepted: d.accepted,
    reason: d.reason ?? null,
    detail: d.detail ?? null,
    verificationId: d.verificationId ?? null,
    phone: d.phone ?? null,
    userAgent: d.headers['user-agent'] ?? null,
    headers: d.headers,
    bodyBase64: d.body.toString('base64'),
    ...(d.secretLocation ? { secretLocation: d.secretLocation } : {}),
  };
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
