import type { CreateFlowEvent, CreateResult } from '../flow/create-flow.js';
import type { ListenFlowEvent, ListenResult } from '../flow/listen-flow.js';
import { isCredentialHeader, REDACTED } from '../mask.js';
import { scanJson } from '../json.js';
import type { Delivery } from '../webhook/delivery.js';
import { REFUSAL_LABEL, REFUSED_BEFORE_BODY } from '../webhook/delivery.js';
import { REMINDER_PAGE } from '../tunnel/reminder-page.js';

/**
 * What the page shows, built from the flows' events. Everything here is sent to the browser, so
 * it is built from a short list of fields (never a whole options object) and every text passes
 * through `clean`, which masks the secrets the inspector was given and shows control characters
 * as the terminal does (`\x1b`), since a browser draws them as missing-glyph boxes.
 */
export type PageStatus = 'starting' | 'waiting' | 'created' | 'verified' | 'not-verified' | 'timeout' | 'expired' | 'listening' | 'stopped' | 'failed';

export interface PageState {
  mode: 'create' | 'listen';
  status: PageStatus;
  /** One sentence under the status, e.g. why it timed out. */
  note?: string;
  webhookUrl?: string;
  /** The public tunnel's state as the watchdog last saw it (`up`, `re-opening: why`…). */
  tunnel?: string;
  localUrl?: string;
  sandbox?: boolean;
  verification?: { id: string; phone: string; link: string; message?: string; expiresAt?: string };
  /** When waiting ends (epoch ms), for the countdown. */
  deadline?: number;
  /** The server's clock when this state was sent, so the countdown does not depend on the browser's. */
  now?: number;
  accepted: number;
  refused: number;
  /** The command has ended: the page stops listening for updates. */
  ended: boolean;
}

export interface PageDelivery {
  seq: number;
  receivedAt: string;
  method: string;
  path: string;
  status: number;
  accepted: boolean;
  /** `accepted`, `refused: secret wrong`, `accepted: another verification`, … */
  verdict: string;
  detail?: string;
  verificationId?: string;
  phone?: string;
  /** The sender's User-Agent, shown apart from the headers: tunnels treat senders by it. */
  userAgent?: string;
  /** One line when the User-Agent could get the sender loca.lt's reminder page instead. */
  warning?: string;
  headers: Array<[string, string]>;
  /** As it came, or indented when it is JSON; empty when it was not read (see `bodyUnread`). */
  body: string;
  bodyTruncated: boolean;
  /** The body's size as it came, in bytes: said next to a body that is shown truncated. */
  bodyBytes: number;
  /** Set when the delivery was refused before its body was read: says so, and why. */
  bodyUnread?: string;
  forward?: string;
}

/** Bodies are shown up to this many characters: the page is for reading, the log keeps them whole. */
export const PAGE_BODY_LIMIT = 16 * 1024;

/** JSON nested deeper than this is shown as it came: indenting it would multiply its size. */
const INDENT_MAX_DEPTH = 16;

export function pageDelivery(
  d: Delivery,
  clean: (text: string) => string,
  extra: { matched?: boolean; forward?: { url: string; status?: number; error?: string }; browserThroughLocaltunnel?: boolean } = {},
): PageDelivery {
  const label = d.reason ? (REFUSAL_LABEL[d.reason] ?? d.reason) : 'refused';
  const verdict = !d.accepted ? `refused: ${label}` : extra.matched === false ? 'accepted: another verification' : 'accepted';
  const unread = !d.accepted && d.reason !== undefined && REFUSED_BEFORE_BODY[d.reason] === true;
  // Masked (and escaped) whole, then cut: a cut first could leave half a secret unmasked.
  const body = unread ? '' : clean(readable(d.body.toString('utf8')));
  const forward =
    extra.forward === undefined
      ? undefined
      : extra.forward.status !== undefined
        ? `forwarded to ${extra.forward.url}: ${extra.forward.status}`
        : `could not forward to ${extra.forward.url}: ${extra.forward.error}`;
  return {
    seq: d.seq,
    receivedAt: d.receivedAt,
    method: clean(d.method),
    path: clean(d.path),
    status: d.status,
    accepted: d.accepted,
    verdict,
    detail: d.detail === undefined ? undefined : clean(d.detail),
    verificationId: d.verificationId === undefined ? undefined : clean(d.verificationId),
    phone: d.phone === undefined ? undefined : clean(d.phone),
    userAgent: d.headers['user-agent'] === undefined ? undefined : clean(d.headers['user-agent']),
    ...(extra.browserThroughLocaltunnel
      ? { warning: `A browser-like User-Agent: ${REMINDER_PAGE} answers such senders instead of passing them on, unless they send bypass-tunnel-reminder.` }
      : {}),
    // The listener masked them already; a Delivery from elsewhere (the library) gets the same rule here.
    headers: Object.entries(d.headers).map(([name, value]) => [name, isCredentialHeader(name) ? REDACTED : clean(value)]),
    body: body.length > PAGE_BODY_LIMIT ? copyOf(body.slice(0, PAGE_BODY_LIMIT)) : body,
    bodyTruncated: body.length > PAGE_BODY_LIMIT,
    bodyBytes: d.body.length,
    ...(unread ? { bodyUnread: `Not read: the delivery was refused on its headers, before its body (${label}).` } : {}),
    forward: forward === undefined ? undefined : clean(forward),
  };
}

/**
 * A string of its own. V8 makes a long slice a view of the string it was cut from, so a kept slice
 * of a body would keep the whole body alive: the page's memory per delivery would then be bounded
 * by the listener's body limit, not by PAGE_BODY_LIMIT. UTF-16 round-trips every code unit.
 */
function copyOf(text: string): string {
  return Buffer.from(text, 'utf16le').toString('utf16le');
}

/**
 * A JSON body indented for reading; anything else as it came. Indented here, before the secrets
 * are masked, so that a secret written with JSON escapes (`\u0077hsec…`) is masked in the form
 * the page shows. Long integers keep their digits (JSON.parse would round them), and bodies too
 * long or too deep to indent cheaply are shown as they came.
 */
function readable(text: string): string {
  if (text.length > PAGE_BODY_LIMIT || scanJson(text, INDENT_MAX_DEPTH) !== 0) return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** A flow event applied to the state; returns the delivery to add, if it was one. */
export function applyEvent(state: PageState, event: CreateFlowEvent | ListenFlowEvent, clean: (text: string) => string): PageDelivery | undefined {
  switch (event.type) {
    case 'sandbox':
      state.sandbox = true;
      return undefined;
    case 'listening':
      if (event.public) state.tunnel = 'up';
      state.webhookUrl = clean(event.webhookUrl);
      state.localUrl = clean(event.localUrl);
      return undefined;
    case 'ready':
      if (event.public) state.tunnel = 'up';
      state.webhookUrl = clean(event.webhookUrl);
      state.localUrl = clean(event.localUrl);
      return undefined;
    case 'created': {
      const v = event.verification;
      state.verification = {
        id: clean(v.id),
        phone: clean(v.phone),
        link: clean(v.link),
        message: v.message === undefined ? undefined : clean(v.message),
        expiresAt: v.expiresAt,
      };
      state.status = 'created';
      return undefined;
    }
    case 'waiting':
      if ('deadline' in event) {
        state.deadline = event.deadline;
        state.status = 'waiting';
      } else state.status = 'listening';
      return undefined;
    case 'tunnel':
      if (event.webhookUrl) state.webhookUrl = clean(event.webhookUrl);
      if (event.event.type === 'state')
        state.tunnel = clean(
          event.event.state === 'up' || event.event.state === 'checking' ? event.event.state : `${event.event.state}: ${event.event.reason ?? 'no answer'}`,
        );
      return undefined;
    case 'delivery': {
      if (event.delivery.accepted) state.accepted++;
      else state.refused++;
      return pageDelivery(event.delivery, clean, {
        matched: 'matched' in event ? event.matched : undefined,
        forward: 'forward' in event ? event.forward : undefined,
        browserThroughLocaltunnel: 'browserThroughLocaltunnel' in event && event.browserThroughLocaltunnel === true,
      });
    }
    default:
      return undefined;
  }
}

/**
 * How the command ended. `cleanStop`: a listen that was asked to stop ended as it should (SIGTERM
 * on one that runs until stopped, exit 0), so it reads as stopped, not interrupted.
 */
export function applyResult(state: PageState, result: CreateResult | ListenResult, cleanStop = false): void {
  state.ended = true;
  state.deadline = undefined;
  // The flow's own reading of what arrived (sandbox advice in the sandbox), so the page says what the terminal says.
  const why = result.diagnosis ? ` ${result.diagnosis.cause}. ${result.diagnosis.hint}` : '';
  if ('status' in result) {
    state.status =
      result.status === 'verified' || result.status === 'created' || result.status === 'timeout' || result.status === 'expired'
        ? result.status
        : 'not-verified';
    if (result.status === 'not-verified') state.note = `The webhook's own status was "${result.eventStatus ?? ''}".`;
    else if (why) state.note = why.trim();
    return;
  }
  state.status = 'stopped';
  const end = result.reason === 'max-events' ? 'enough deliveries' : result.reason === 'timeout' ? 'timed out' : cleanStop ? 'stopped' : 'interrupted';
  state.note = `${result.accepted} accepted, ${result.refused} refused (${end}).${why}`;
}
