import type { IncomingMessage } from 'node:http';
import type { ControlAnswer } from './control-api.js';

/**
 * Who may use the control API. It re-points webhook deliveries (with the secret) and resets state,
 * so a web page the developer happens to visit must not reach it: not by DNS rebinding (a foreign
 * name resolving to 127.0.0.1 arrives with that name in `Host`), and not by a cross-site request
 * (a form or fetch from another origin carries `Origin` / `Sec-Fetch-Site`). Tools — curl, test
 * suites, the library — send neither, and a loopback `Host`. `boundHost` is the address the
 * emulator listens on: when it is not loopback (`--host 0.0.0.0` in a container), requests naming
 * that address or any address are allowed too, since the user chose to expose it.
 */
export function controlRefusal(req: IncomingMessage, boundHost: string): ControlAnswer | undefined {
  const host = hostName(req.headers.host);
  const exposed = !isLoopback(boundHost);
  if (host === undefined || (!isLoopback(host) && !(exposed && isIpAddress(host)) && host !== boundHost.toLowerCase())) {
    return forbidden('the control API answers only requests addressed to a loopback host (127.0.0.1, localhost)');
  }
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none' && site !== 'same-site') {
    return forbidden('the control API does not answer cross-site browser requests');
  }
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== 'null') {
    let originHost: string | undefined;
    try {
      originHost = new URL(origin).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    } catch {
      originHost = undefined;
    }
    if (originHost === undefined || !isLoopback(originHost)) return forbidden('the control API does not answer requests from other origins');
  } else if (origin === 'null') {
    return forbidden('the control API does not answer requests from opaque origins');
  }
  return undefined;
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
