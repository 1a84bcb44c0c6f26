/**
 * What `cloudflared tunnel --url …` says on stderr, one line at a time. A quick tunnel announces
 * its URL in a box *before* Cloudflare's edge knows it; the URL only works once a connection has
 * registered. cloudflared's wording has changed between versions, so each fact is matched on the
 * words every known version uses, and nothing else in its output is relied on.
 */
export type CloudflaredLine =
  /** The quick tunnel's URL, from the box cloudflared draws around it. */
  | { type: 'url'; url: string }
  /** A connection to Cloudflare's edge registered: the URL resolves and answers from now on. */
  | { type: 'registered'; protocol?: string }
  /** A QUIC connection failed: UDP (port 7844) is likely blocked on this network. */
  | { type: 'quic-failed'; reason: string }
  /** cloudflared's own version, which it logs as it starts. */
  | { type: 'version'; version: string }
  | { type: 'other' };

/**
 * The box line that holds the URL: `|  https://<words>.trycloudflare.com   |`. Only a URL standing
 * alone between the box's bars counts, so the links in cloudflared's notices (terms of use, the
 * firewall advice) are never taken for it, and an empty box (the request for a quick tunnel
 * failed) gives none. Any http(s) URL is accepted there, not only trycloudflare.com: the hostname
 * is Cloudflare's to change, and the tests' stand-in prints a loopback URL in the same box.
 */
const URL_IN_BOX = /\|\s+(https?:\/\/[^\s|]+)\s+\|\s*$/;

/**
 * "Registered tunnel connection connIndex=0 … protocol=quic" (current); "Connection <uuid>
 * registered" (older). Case matters: "Unregistered tunnel connection" is the opposite.
 */
const REGISTERED = /\bRegistered tunnel connection\b|\bConnection [0-9a-f-]+ registered\b/;

/** The ways cloudflared has reported a QUIC dial or handshake that did not work. */
const QUIC_FAILED = /failed to dial to edge with quic|Failed to (?:dial|create new|serve) (?:a )?quic connection|egress UDP to port 7844/i;

export function readCloudflaredLine(line: string): CloudflaredLine {
  const url = URL_IN_BOX.exec(line)?.[1];
  if (url) return { type: 'url', url: url.replace(/\/+$/, '') };
  if (REGISTERED.test(line)) {
    const protocol = /\bprotocol=(\w+)/.exec(line)?.[1];
    return protocol ? { type: 'registered', protocol } : { type: 'registered' };
  }
  if (QUIC_FAILED.test(line)) return { type: 'quic-failed', reason: /error="([^"]{1,200})"/.exec(line)?.[1] ?? 'QUIC could not connect' };
  const version = /\bINF Version (\S+)/.exec(line)?.[1];
  if (version) return { type: 'version', version };
  return { type: 'other' };
}

/**
 * The last lines cloudflared wrote, kept to explain a failure (as `untun` attaches them): without
 * them, "did not register in 20 s" leaves the user guessing whether it was DNS, a firewall or a
 * bad flag.
 */
export class LogTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly keep = 12) {}

  /** Splits a chunk into lines (the last one may be unfinished) and returns the finished ones. */
  push(chunk: string): string[] {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    const done = parts.filter((line) => line.trim() !== '');
    for (const line of done) {
      this.lines.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
      if (this.lines.length > this.keep) this.lines.shift();
    }
    return done;
  }

  /** The kept lines, indented for an error's details. */
  text(): string {
    return this.lines.map((line) => `    ${line}`).join('\n');
  }
}
