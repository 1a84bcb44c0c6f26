import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SendtalkVerifyError } from '../errors.js';
import { isJsonObject } from '../fields.js';
import { SendFailure, sendRequest, type SendAnswer } from '../http/client.js';
import { USER_AGENT } from '../version.js';
import { checkRegistrationAnswer } from './registration-answer.js';
import type { SessionRequest, TunnelConnector, TunnelSession } from './types.js';

/** How long one registration request may take before it counts as unanswered and is sent again. */
const REGISTRATION_REQUEST_MS = 10_000;
/** localtunnel's own pause between registration attempts. */
const RETRY_MS = 1_000;

/**
 * The localtunnel package behind the `TunnelConnector` interface. localtunnel 2.0.2's `open()`
 * registers (`GET /?new` or `GET /<subdomain>`) in a loop that retries every second forever and
 * cannot be stopped: a registration given up on went on polling, and kept a library user's process
 * alive. So the registration is ours — the same request, the same one-second retry, but bounded per
 * request and stopped by `abandon()` — and localtunnel does the rest from the server's answer, as
 * its `open()` would (`_getInfo`, `_establish`: its connection pool, forwarding, reconnecting).
 * What else this adapter adds, from localtunnel's source:
 * - an `'error'` without a listener crashes the process: one is attached before anything starts;
 * - its connections to the server are announced by `tunnelCluster` `'open'` events; counting their
 *   `'close'` tells the supervisor when none is left, because localtunnel never re-registers.
 * The package is imported on first use so that `--help` does not load it.
 */
export const connectLocaltunnel: TunnelConnector = (request, listener) => {
  const abandoned = new AbortController();
  let client: import('localtunnel/lib/Tunnel') | undefined;
  /** The connections to the tunnel server, for `flush`. */
  const remotes = new Set<Socket>();
  const session = (async (): Promise<TunnelSession> => {
    const [{ default: Tunnel }, body] = await Promise.all([import('localtunnel/lib/Tunnel'), register(request, abandoned.signal)]);
    if (abandoned.signal.aborted) throw new Error('abandoned');
    client = new Tunnel({
      port: request.localPort,
      host: request.host,
      local_host: request.localHost,
      ...(request.subdomain ? { subdomain: request.subdomain } : {}),
    });
    client.on('error', (error: Error) => listener.error(error));
    client.on('request', (info: { method?: string; path?: string }) => listener.request(info.method ?? '?', info.path ?? '?'));
    // What localtunnel's open() does once the server has answered.
    const info = client._getInfo(body);
    client.clientId = info.name;
    client.url = info.url;
    if (info.cached_url) client.cachedUrl = info.cached_url;
    client._establish(info);
    // The cluster exists from here on, and none of its sockets has connected yet.
    const cluster = client.tunnelCluster;
    if (!cluster) {
      client.close();
      throw new SendtalkVerifyError('internal', 'The localtunnel client has no connection pool; is localtunnel 2.0.2 installed?');
    }
    let live = 0;
    cluster.on('open', (remote: Socket) => {
      remotes.add(remote);
      remote.once('close', () => remotes.delete(remote));
      live++;
      listener.connections(live);
      remote.once('close', () => {
        live--;
        listener.connections(live);
      });
    });
    return sessionOf(client, remotes);
  })();
  // An abandoned registration rejects when nobody waits for it any more: never let that be unhandled.
  session.catch(() => {});
  return {
    session,
    abandon() {
      abandoned.abort();
      client?.close();
    },
  };
};

/**
 * Registers with the tunnel server as localtunnel does: a redirect is followed (as its HTTP client
 * did), other answers than 2xx, and no answer at all, are tried again a second later (the
 * supervisor's time-out decides when to stop), and a 2xx other than 200 is a refusal with the
 * server's message. Resolves with the server's JSON answer.
 */
async function register(request: SessionRequest, signal: AbortSignal): Promise<Record<string, unknown>> {
  const start = `${request.host}/${request.subdomain ?? '?new'}`;
  for (;;) {
    signal.throwIfAborted();
    try {
      const answer = await followRedirects(start, signal);
      const body = parseObject(answer.body);
      const message = typeof body?.message === 'string' && body.message !== '' ? body.message : undefined;
      if (answer.status === 200 && body) {
        const checked = checkRegistrationAnswer(body);
        if ('problem' in checked) throw unusableAnswerError(request, checked.problem, message);
        return { ...checked };
      }
      if (answer.status >= 200 && answer.status < 300) throw registrationError(request, message ?? `HTTP ${answer.status}`);
    } catch (error) {
      if (!(error instanceof SendFailure)) throw error;
      // A host name the resolver does not know, or a certificate that does not match, stays so for
      // the next 20 s: say so now instead of retrying until the time-out.
      if (CANNOT_IMPROVE.test(error.code)) throw unreachableError(request, error);
    }
    await sleep(RETRY_MS, undefined, { signal });
  }
}

async function followRedirects(start: string, signal: AbortSignal): Promise<SendAnswer> {
  let url = start;
  for (let redirects = 0; ; redirects++) {
    const answer = await sendRequest(url, { timeoutMs: REGISTRATION_REQUEST_MS, signal, headers: { 'user-agent': USER_AGENT, accept: 'application/json' } });
    const location = answer.headers.location;
    const next = REDIRECTS.has(answer.status) && typeof location === 'string' && redirects < MAX_REDIRECTS ? resolveUrl(location, url) : undefined;
    if (!next) return answer; // an answer like any other (a bad redirect is tried again later)
    url = next;
  }
}

function resolveUrl(location: string, base: string): string | undefined {
  try {
    return new URL(location, base).href;
  } catch {
    return undefined;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

function parseObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return isJsonObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function sessionOf(client: import('localtunnel/lib/Tunnel'), remotes: ReadonlySet<Socket>): TunnelSession {
  return {
    url: client.url ?? '',
    clientId: client.clientId ?? '',
    async flush(boundMs) {
      // An answer the listener has written crosses loopback to localtunnel's local socket, which
      // sees it on the next turn of the event loop and pipes it to its connection to the server:
      // two turns, then every such connection's queue must be written out.
      const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
      await turn();
      await turn();
      const pending = [...remotes].filter((remote) => !remote.destroyed && remote.writableLength > 0);
      if (pending.length === 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(
          pending.map(
            (remote) =>
              new Promise<void>((resolve) => {
                remote.once('drain', () => resolve());
                remote.once('close', () => resolve());
              }),
          ),
        ),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, boundMs);
        }),
      ]);
      clearTimeout(timer);
    },
    close() {
      if (!client.closed) client.close();
    },
  };
}

/** Failures that retrying within the registration time-out will not fix: DNS and certificates. */
const CANNOT_IMPROVE = /^(ENOTFOUND|EAI_AGAIN|EAI_NONAME)$|CERT|SELF_SIGNED/;

function unreachableError(request: SessionRequest, failure: SendFailure): SendtalkVerifyError {
  const dns = /^E(NOTFOUND|AI_)/.test(failure.code);
  return new SendtalkVerifyError(
    'tunnel',
    `The tunnel server ${request.host} cannot be reached: ${failure.message}${failure.message.includes(failure.code) ? '' : ` (${failure.code})`}.`,
    {
      hint: dns
        ? 'Check the network connection and DNS, and the SENDTALK_TUNNEL_HOST name; or use your own tunnel with --tunnel URL.'
        : "The server's certificate is not valid for it: check SENDTALK_TUNNEL_HOST, or use your own tunnel with --tunnel URL.",
      cause: failure,
    },
  );
}

/** The server answered the registration with a 2xx other than 200: it refuses, and says why. */
function registrationError(request: SessionRequest, message: string): SendtalkVerifyError {
  return new SendtalkVerifyError('tunnel', `The tunnel server ${request.host} refused the tunnel: ${message}.`, {
    hint: 'Try again, point SENDTALK_TUNNEL_HOST at another localtunnel server, or use your own tunnel with --tunnel URL.',
  });
}

/** The server said yes, but with an answer that cannot be used safely; its own message, if any, is quoted. */
function unusableAnswerError(request: SessionRequest, problem: string, message: string | undefined): SendtalkVerifyError {
  return new SendtalkVerifyError(
    'tunnel',
    `The tunnel server ${request.host} answered the registration with ${problem}${message ? `; it said: ${message}` : ''}.`,
    {
      hint: 'Is SENDTALK_TUNNEL_HOST a localtunnel server? Point it at another one, or use your own tunnel with --tunnel URL.',
    },
  );
}
