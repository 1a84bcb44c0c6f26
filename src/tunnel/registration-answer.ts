import { isIP } from 'node:net';
import { httpUrl } from '../http/url.js';

/** More connections than a localtunnel server's default pool (10) only costs sockets and memory. */
export const MAX_TUNNEL_CONNECTIONS = 10;

/** A registration answer fit to hand to localtunnel: every field checked, the pool size clamped. */
export interface RegistrationAnswer {
  id: string;
  port: number;
  url: string;
  max_conn_count: number;
  ip?: string;
  cached_url?: string;
}

/**
 * Checks the tunnel server's answer to a registration before localtunnel acts on it. localtunnel
 * trusts it whole: `max_conn_count: 10000000` opens sockets in a loop that starves the event loop
 * (and Ctrl-C), a missing `port` crashes deep inside it, a missing `url` surfaces later as a
 * confusing public-URL error. Returns the answer to use, or why it cannot be used.
 */
export function checkRegistrationAnswer(body: Record<string, unknown>): RegistrationAnswer | { problem: string } {
  const { id, port, url, max_conn_count: count, ip, cached_url: cachedUrl } = body;
  if (typeof id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(id)) return { problem: `no usable tunnel id (${describe(id)})` };
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535)
    return { problem: `no usable port (${describe(port)}; 1–65535 expected)` };
  if (!isHttpUrl(url)) return { problem: `no usable public URL (${describe(url)}; an http(s) URL expected)` };
  // Absent means one connection, as localtunnel reads it; anything odd falls back to that too.
  const wanted = typeof count === 'number' && Number.isFinite(count) ? Math.floor(count) : 1;
  const answer: RegistrationAnswer = { id, port, url, max_conn_count: Math.min(Math.max(wanted, 1), MAX_TUNNEL_CONNECTIONS) };
  if (ip !== undefined && ip !== null) {
    // localtunnel connects to `ip` instead of the server's host name: only a real address will do.
    if (typeof ip !== 'string' || isIP(ip) === 0) return { problem: `an address to connect to that is not an IP address (${describe(ip)})` };
    answer.ip = ip;
  }
  if (isHttpUrl(cachedUrl)) answer.cached_url = cachedUrl;
  return answer;
}

/** A URL from the tunnel server: an http(s) URL of a sane length. */
function isHttpUrl(value: unknown): value is string {
  return httpUrl(value, { maxLength: 2048 }) !== undefined;
}

/** A short, printable description of a value the server sent. */
function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
