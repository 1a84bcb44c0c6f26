import { STATUS_CODES, type ServerResponse } from 'node:http';
import { errorEnvelope, successEnvelope } from './envelope.js';
import type { Fault } from './faults.js';
import { sendJson, sendText } from './http.js';

/** How a request was answered, for the request log. */
export interface Answered {
  httpStatus: number;
  envelopeStatus?: number;
  error?: string;
}

/**
 * Answers a request the way the fault says. Latency is not handled here: it only delays the
 * normal answer. A hang writes nothing; closing the emulator ends the connection.
 */
export function answerWithFault(res: ServerResponse, fault: Exclude<Fault, { type: 'latency' }>): Answered {
  switch (fault.type) {
    case 'http-error': {
      // What a proxy in front of an API sends when the API is down: HTML, not an envelope.
      const reason = STATUS_CODES[fault.status] ?? 'Server Error';
      sendText(res, fault.status, `<html><head><title>${fault.status} ${reason}</title></head><body><h1>${fault.status} ${reason}</h1></body></html>\n`, 'text/html; charset=utf-8');
      return { httpStatus: fault.status, error: `injected HTTP ${fault.status}` };
    }
    case 'rate-limit':
      sendJson(res, 429, errorEnvelope(429, 'TooManyRequests', 'Too many requests, slow down', ''), { 'retry-after': String(fault.retryAfter) });
      return { httpStatus: 429, envelopeStatus: 429, error: `injected rate limit (Retry-After: ${fault.retryAfter})` };
    case 'hang':
      return { httpStatus: 0, error: 'injected hang: no answer' };
    case 'malformed': {
      // A success envelope cut in the middle of `data`, as a dropped connection behind a proxy leaves it.
      const whole = JSON.stringify(successEnvelope({ verificationID: 'truncated', waLink: 'https://wa.me/' }));
      sendText(res, 200, whole.slice(0, Math.floor(whole.length * 0.6)), 'application/json; charset=utf-8');
      return { httpStatus: 200, error: 'injected malformed body' };
    }
    case 'error-envelope':
      sendJson(res, 200, errorEnvelope(fault.status, fault.code, fault.message, fault.field));
      return { httpStatus: 200, envelopeStatus: fault.status, error: fault.message };
  }
}
