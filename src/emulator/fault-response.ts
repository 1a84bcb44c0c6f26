import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errorEnvelope, successEnvelope } from './envelope.js';
import type { Fault } from './faults.js';
import { sendJson, sendText } from '../http/server.js';

/** How a request was answered, for the request log. */
export interface Answered {
  httpStatus: number;
  envelopeStatus?: number;
  error?: string;
}

/**
 * Answers a request the way the fault says. Latency is not handled here: it only delays the
 * normal answer. A hang writes nothing; closing the emulator ends the connection. A reset ends
 * the connection with a TCP RST (after a part of the answer, for `mid-body`).
 */
export function answerWithFault(res: ServerResponse, fault: Exclude<Fault, { type: 'latency' }>): Answered {
  switch (fault.type) {
    case 'http-error': {
      // What a proxy in front of an API sends when the API is down: HTML, not an envelope.
      const reason = STATUS_CODES[fault.status] ?? 'Server Error';
      sendText(
        res,
        fault.status,
        `<html><head><title>${fault.status} ${reason}</title></head><body><h1>${fault.status} ${reason}</h1></body></html>\n`,
        'text/html; charset=utf-8',
      );
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
    case 'reset': {
      const socket = res.socket;
      if (fault.at === 'before-answer' || !socket) {
        if (socket) reset(socket);
        return { httpStatus: 0, error: 'injected reset before the answer' };
      }
      // Headers and the first part of a success body, then a reset: the client has started reading.
      const whole = JSON.stringify(successEnvelope(placeholderData([])));
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(whole) });
      res.write(whole.slice(0, Math.floor(whole.length / 2)), () => {
        // A moment for the bytes to reach the client before the RST, which discards unsent data.
        setTimeout(() => reset(socket), 50).unref();
      });
      return { httpStatus: 200, error: 'injected reset in the middle of the answer' };
    }
    case 'html': {
      const title = fault.status === 200 ? 'Sign in to continue' : `${fault.status} ${STATUS_CODES[fault.status] ?? 'Error'}`;
      sendText(
        res,
        fault.status,
        `<!doctype html><html><head><title>${title}</title></head><body><form action="/login"><input name="user"></form></body></html>\n`,
        'text/html; charset=utf-8',
      );
      return { httpStatus: fault.status, error: `injected HTML page (HTTP ${fault.status})` };
    }
    case 'missing-fields': {
      const envelope = successEnvelope(placeholderData(fault.fields));
      sendJson(res, 200, envelope);
      return { httpStatus: 200, envelopeStatus: 200, error: `injected success without ${fault.fields.join(', ')}` };
    }
  }
}

/** A plausible create answer's `data` without `omit`; nothing is created for it. */
function placeholderData(omit: readonly string[]): Record<string, string | number> {
  const link = 'https://wa.me/6281100000000?text=Hi%20SendTalk';
  const data: Record<string, string | number> = {
    verificationID: randomUUID(),
    userPhone: '6281234567890',
    waLink: link,
    waMessage: 'Hi SendTalk',
    qrCode: link,
    expiredTime: Date.now() + 10 * 60_000,
  };
  for (const field of omit) delete data[field];
  return data;
}

function reset(socket: Socket): void {
  // resetAndDestroy sends an RST where the platform allows it; destroy() is the fallback (a FIN).
  if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed) socket.resetAndDestroy();
  else socket.destroy();
}
