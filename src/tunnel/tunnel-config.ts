import { SendtalkVerifyError } from '../errors.js';
import { checkHttpUrl } from '../http/url.js';

/**
 * localtunnel servers accept lowercase letters, digits and inner hyphens, 4 to 63 characters. A
 * name outside that rule is refused with HTTP 403, which the localtunnel client retries forever:
 * check it here so the user hears about it at once.
 */
export function checkSubdomain(name: string): string {
  const fix = 'Use 4 to 63 lowercase letters, digits or hyphens, starting and ending with a letter or digit, e.g. SENDTALK_SUBDOMAIN=acme-webhook-dev.';
  if (name !== name.toLowerCase()) {
    throw new SendtalkVerifyError('usage', `Subdomain "${name}" has capital letters; tunnel servers refuse them.`, { hint: fix });
  }
  const plain = /^[a-z0-9]{4,63}$/.test(name);
  const hyphenated = /^[a-z0-9][a-z0-9-]{4,61}[a-z0-9]$/.test(name);
  if (!plain && !hyphenated) {
    throw new SendtalkVerifyError('usage', `Subdomain "${name}" is not one a tunnel server accepts.`, { hint: fix });
  }
  return name;
}

/** Checks SENDTALK_TUNNEL_HOST and drops a trailing slash (localtunnel appends `/?new` to it). */
export function normaliseTunnelHost(host: string): string {
  const url = checkHttpUrl(host, 'Tunnel host', 'Set SENDTALK_TUNNEL_HOST to http(s)://host[:port] of a localtunnel server.');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The address the tunnel should connect to for a listener bound to `bound`: the listener's own
 * address, or loopback of the same family when it listens on every interface.
 */
export function tunnelTargetHost(bound: string): string {
  if (bound === '0.0.0.0' || bound === '' || bound === 'localhost') return '127.0.0.1';
  if (bound === '::' || bound === '[::]') return '::1';
  return bound.replace(/^\[(.*)\]$/, '$1');
}

/** `https://abc.loca.lt` + `/webhook` → `https://abc.loca.lt/webhook`, keeping a path the user gave. */
export function joinPublicUrl(base: string, path: string): string {
  const url = checkHttpUrl(base, 'Public URL', 'Pass --tunnel the URL of your own tunnel, https://host[/path].');
  const basePath = url.pathname.replace(/\/+$/, '');
  if (basePath.endsWith(path)) return `${url.origin}${basePath}`;
  return `${url.origin}${basePath}${path}`;
}
