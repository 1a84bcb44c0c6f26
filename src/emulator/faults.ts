import { isJsonObject } from '../fields.js';

/**
 * What the emulator can do wrong on purpose, so that a client's retries, time-outs and error
 * handling can be tested. A fault shapes the answer to one API request (never a control request).
 */
export type Fault =
  /** Answers normally, after this many extra milliseconds. */
  | { type: 'latency'; ms: number }
  /** A real HTTP 5xx with an HTML page, as a proxy or load balancer in front of the API sends. */
  | { type: 'http-error'; status: number }
  /** HTTP 429 with `Retry-After` (seconds). */
  | { type: 'rate-limit'; retryAfter: number }
  /** Reads the request and never answers (until the client gives up or the emulator closes). */
  | { type: 'hang' }
  /** HTTP 200 with a JSON body cut short. */
  | { type: 'malformed' }
  /** HTTP 200 with an error envelope, the SendTalk way. */
  | { type: 'error-envelope'; status: number; code: string; message: string; field: string }
  /**
   * The connection is reset (TCP RST) after the request was read: `mid-body` sends the status
   * line, the headers and part of a success body first; `before-answer` sends nothing.
   */
  | { type: 'reset'; at: ResetPoint }
  /** An HTML page (a captive portal, a proxy's login page, a wrong URL) with this HTTP status. */
  | { type: 'html'; status: number }
  /** A success envelope (status 200, no error) whose `data` lacks these fields. */
  | { type: 'missing-fields'; fields: string[] };

export type ResetPoint = 'mid-body' | 'before-answer';

/** The fields of the create answer's `data`, as the emulator sends them. */
export const CREATE_DATA_FIELDS = ['verificationID', 'userPhone', 'waLink', 'waMessage', 'qrCode', 'expiredTime'] as const;

export type FaultType = Fault['type'];

export const FAULT_TYPES: readonly FaultType[] = [
  'latency',
  'http-error',
  'rate-limit',
  'hang',
  'malformed',
  'error-envelope',
  'reset',
  'html',
  'missing-fields',
];

/** A fault waiting for requests: it shapes the next `remaining` API requests. */
export interface QueuedFault {
  id: number;
  fault: Fault;
  remaining: number;
}

/** Upper bounds that keep a typo from hanging a test suite for hours. */
const MAX_COUNT = 10_000;
const MAX_LATENCY_MS = 10 * 60_000;
const MAX_RETRY_AFTER_S = 3600;

/**
 * Reads a fault as posted to `POST /_emulator/faults`, filling in defaults:
 * `{"type":"http-error","status":503,"count":2}`, `{"type":"latency","ms":1500}`,
 * `{"type":"rate-limit","retryAfter":2}`, `{"type":"hang"}`, `{"type":"malformed"}`,
 * `{"type":"error-envelope","status":500,"code":"50000","message":"…","field":""}`,
 * `{"type":"reset","at":"mid-body"}` (or `"before-answer"`), `{"type":"html","status":200}`,
 * `{"type":"missing-fields","fields":["verificationID","waLink"]}`.
 */
export function parseFault(input: unknown): { fault: Fault; count: number } | { error: string } {
  if (!isJsonObject(input)) return { error: 'the body must be a JSON object like {"type":"http-error","status":503,"count":1}' };
  const count = input.count ?? 1;
  if (!isWholeIn(count, 1, MAX_COUNT)) return { error: `count must be a whole number from 1 to ${MAX_COUNT}` };
  const fault = readFault(input);
  return typeof fault === 'string' ? { error: fault } : { fault, count: count as number };
}

function readFault(input: Record<string, unknown>): Fault | string {
  switch (input.type) {
    case 'latency':
      if (!isWholeIn(input.ms, 0, MAX_LATENCY_MS)) return `latency needs "ms", a whole number of milliseconds up to ${MAX_LATENCY_MS}`;
      return { type: 'latency', ms: input.ms as number };
    case 'http-error': {
      const status = input.status ?? 500;
      if (!isWholeIn(status, 500, 599)) return 'http-error needs "status" from 500 to 599 (500, 502, 503…)';
      return { type: 'http-error', status: status as number };
    }
    case 'rate-limit': {
      const retryAfter = input.retryAfter ?? 1;
      if (!isWholeIn(retryAfter, 0, MAX_RETRY_AFTER_S)) return `rate-limit needs "retryAfter", whole seconds up to ${MAX_RETRY_AFTER_S}`;
      return { type: 'rate-limit', retryAfter: retryAfter as number };
    }
    case 'hang':
      return { type: 'hang' };
    case 'malformed':
      return { type: 'malformed' };
    case 'error-envelope': {
      const status = input.status ?? 500;
      if (!isWholeIn(status, 100, 599) || status === 200) return 'error-envelope needs "status", an error status such as 400 or 500';
      const code = (status as number) * 100;
      for (const key of ['code', 'message', 'field'] as const) {
        if (input[key] !== undefined && typeof input[key] !== 'string') return `error-envelope "${key}" must be a string`;
      }
      return {
        type: 'error-envelope',
        status: status as number,
        code: (input.code as string | undefined) ?? String(code),
        message: (input.message as string | undefined) ?? 'Internal server error',
        field: (input.field as string | undefined) ?? '',
      };
    }
    case 'reset': {
      const at = input.at ?? 'mid-body';
      if (at !== 'mid-body' && at !== 'before-answer') return 'reset "at" must be "mid-body" or "before-answer"';
      return { type: 'reset', at };
    }
    case 'html': {
      const status = input.status ?? 200;
      if (!isWholeIn(status, 200, 599)) return 'html needs "status" from 200 to 599';
      return { type: 'html', status: status as number };
    }
    case 'missing-fields': {
      const fields = input.fields ?? ['verificationID', 'waLink'];
      const known = CREATE_DATA_FIELDS as readonly string[];
      if (!Array.isArray(fields) || fields.length === 0 || !fields.every((f) => typeof f === 'string' && known.includes(f))) {
        return `missing-fields needs "fields", a non-empty list of ${known.join(', ')}`;
      }
      return { type: 'missing-fields', fields: [...new Set(fields as string[])] };
    }
    default:
      return `"type" must be one of ${FAULT_TYPES.join(', ')}`;
  }
}

function isWholeIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Faults in the order they were queued; each request takes one use of the oldest. */
export class FaultQueue {
  private readonly queued: QueuedFault[] = [];
  private nextId = 1;

  add(fault: Fault, count = 1): QueuedFault {
    const entry: QueuedFault = { id: this.nextId++, fault, remaining: Math.max(1, Math.floor(count)) };
    this.queued.push(entry);
    return entry;
  }

  /** Takes one use of the oldest queued fault, if any. */
  take(): Fault | undefined {
    const head = this.queued[0];
    if (!head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) this.queued.shift();
    return head.fault;
  }

  clear(): void {
    this.queued.length = 0;
  }

  get list(): readonly QueuedFault[] {
    return this.queued;
  }
}
