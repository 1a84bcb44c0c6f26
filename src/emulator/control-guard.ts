import type { IncomingMessage } from 'node:http';
import type { ControlAnswer } from './control-api.js';

/**
 * Who may talk to the emulator. Every route checks `Host`, so that a web page the developer happens
 * to visit cannot reach it by DNS rebinding (a foreign name resolving to 127.0.0.1 arrives with that
 * name in `Host`). `boundHost` is the address the emulator listens on: when it is not loopback
 * (`--host 0.0.0.0` in a container), requests naming that address or any address are allowed too,
 * since the user chose to expose it.
 */
export function hostRefusal(req: IncomingMessage, boundHost: string): ControlAnswer | undefined {
  const host = hostName(req.headers.host);
  const exposed = !isLoopback(boundHost);
  if (host === undefined || (!isLoopback(host) && !(exposed && isIpAddress(host)) && host !== boundHost.toLowerCase())) {
    return forbidden('the emulator answers only requests addressed to a loopback host (127.0.0.1, localhost)');
  }
  return undefined;
}

/**
 * Who may use the control API, which re-points webhook deliveries (with the secret), resets state
 * and takes the emulator offline. Tools — curl, test suites, the library — send no `Origin`. A
 * browser always does on a request that changes anything, and the only page allowed is the
 * emulator's own origin: a page on another port of localhost is "same-site" to it, yet must not
 * drive it. A browser's call must also say it sends JSON: a cross-origin request with that type
 * needs a CORS preflight, which the emulator never grants, whereas a text/plain POST would not.
 */
export function controlRefusal(req: IncomingMessage, boundHost: string, port: number): ControlAnswer | undefined {
  const host = hostRefusal(req, boundHost);
  if (host) return host;
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
    return forbidden('the control API does not answer requests from other origins');
  }
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  if (origin === 'null') return forbidden('the control API does not answer requests from opaque origins');
  if (!isOwnOrigin(origin, boundHost, port)) return forbidden('the control API does not answer requests from other origins');
  const method = req.method ?? 'GET';
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (method !== 'GET' && method !== 'HEAD' && type !== 'application/json') {
    return forbidden("a browser's control call must send Content-Type: application/json");
  }
  return undefined;
}

/** Whether `origin` is the emulator itself: http, its port, and a loopback name (or the bound address). */
function isOwnOrigin(origin: string, boundHost: string, port: number): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return url.protocol === 'http:' && Number(url.port || 80) === port && (isLoopback(host) || host === boundHost.toLowerCase());
}

function forbidden(why: string): ControlAnswer {
  return { status: 403, body: { error: why } };
}

/** The host name of a Host header, without port or IPv6 brackets, lower-cased. */
function hostName(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(header);
  if (bracketed) return bracketed[1]!.toLowerCase();
  return header.replace(/:\d+$/, '').toLowerCase();
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(h) || h === '::1';
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}
