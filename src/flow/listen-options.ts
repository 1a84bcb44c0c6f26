import type { ProbeResult } from '../tunnel/probe.js';
import type { RememberedUrlCheck, UrlMemory } from '../tunnel/remembered-url.js';
import type { Tunnel, TunnelUpdate } from '../tunnel/expose-listener.js';
import type { DeliveryTally } from '../webhook/delivery-tally.js';
import type { WaitDiagnosis } from './wait-diagnosis.js';
import type { ForwardResult } from '../webhook/forward-delivery.js';
import type { Delivery } from '../webhook/listener.js';
import type { RefusalSummary } from './refusal-throttle.js';

/** What a `listen` run is given, what it reports and what it returns (the flow is in listen-flow.ts). */

export interface ListenFlowOptions {
  /** Listener interface. @default '127.0.0.1' */
  host?: string;
  /** Listener port; 0 picks a free one. @default 0 */
  port?: number;
  /** Listener path. @default '/webhook' */
  path?: string;
  /** Webhook secret from Verification Config. Without it deliveries are accepted unchecked. */
  secret?: string;
  /** The one header that carries the secret. @default X-Secret-Key or Secret-Key */
  secretHeader?: string;
  /** See `ListenerOptions.alsoMask`: the API key, masked in what is recorded (the log included). */
  alsoMask?: ReadonlyArray<string | undefined>;
  /** How SendTalk reaches the listener. @default 'none' */
  tunnel?: Tunnel;
  /** Check the public URL reaches the listener once it is up. @default true */
  probe?: boolean;
  /** Compare the public webhook URL with the last run's, remembered in this state file (event `ready`), and remember it. Off unless given. */
  rememberWebhookUrl?: UrlMemory;
  /** Stop after this many accepted deliveries. */
  maxEvents?: number;
  /** Stop after this long. */
  timeoutMs?: number;
  /** Pass each accepted delivery to this local URL before acknowledging it. */
  forwardTo?: string;
  /** Append every delivery to this NDJSON file; accepted ones are written before they are acknowledged. */
  logPath?: string;
  /** With `logPath`: fdatasync each record (group commit) before acknowledging it. @default false */
  logFsync?: boolean;
  /**
   * After the last delivery, the tunnel closes only once its 200 has been passed on through it
   * (closing at once would cut it, and SendTalk would retry), waiting at most this long. @default 1000
   */
  drainMs?: number;
  /**
   * Refused requests reported one by one per reason and window; the rest are summarised (event
   * `refusals-summary`, and a `refusals-summary` line in the log). @default { perWindow: 20, windowMs: 10_000 }
   */
  refusalReports?: { perWindow: number; windowMs: number };
  /** Aborting stops listening: the result's reason is `interrupted` (or the opening rejects). */
  signal?: AbortSignal;
  onEvent?: (event: ListenFlowEvent) => void;
}

export type ListenFlowEvent =
  /**
   * `provider`: what exposes the listener (`none`, `public-url`, `localtunnel`, `cloudflared`, or a provider's `name`); `via`: what carries it, when known;
   * `remembered`: how the public webhook URL compares with the last run's (with `rememberWebhookUrl`).
   */
  | {
      type: 'ready';
      localUrl: string;
      webhookUrl: string;
      public: boolean;
      subdomain?: string;
      provider?: string;
      via?: string;
      remembered?: RememberedUrlCheck;
    }
  | { type: 'probe'; webhookUrl: string; result: ProbeResult }
  /** Everything is up (and probed): deliveries are awaited from now on. */
  | { type: 'waiting' }
  /** `webhookUrl` is the current public webhook URL; `previousWebhookUrl` comes with `reopened`. */
  | TunnelUpdate
  /**
   * `browserThroughLocaltunnel`: its User-Agent looks like a browser's and it came while the
   * listener is exposed through localtunnel, whose public server shows such senders its reminder
   * page instead (see reminder-page.ts): this one got through, later ones may not.
   */
  | { type: 'delivery'; delivery: Delivery; forward?: ForwardResult; browserThroughLocaltunnel?: true }
  | { type: 'log-error'; delivery: Delivery; message: string }
  /** The existing `--log` file can be read or written by others (`mode`, e.g. 0o644). */
  | { type: 'log-loose-mode'; path: string; mode: number }
  /** Refusals counted but not reported one by one since the last summary (a flood). */
  | { type: 'refusals-summary'; summaries: RefusalSummary[]; windowMs: number };

export type ListenEnd = 'max-events' | 'timeout' | 'interrupted';

export interface ListenResult {
  reason: ListenEnd;
  accepted: number;
  refused: number;
  /** Every delivery counted, refusals by reason: says why a wait ended without an accepted one. */
  deliveries: DeliveryTally;
  /**
   * The likeliest cause when listening ended short (at the timeout with fewer accepted deliveries
   * than waited for), or with refusals only, and what to do.
   */
  diagnosis?: WaitDiagnosis;
  /** The webhook URL when listening ended (a re-opened tunnel may have changed it). */
  webhookUrl: string;
  localUrl: string;
}
