import { checkRequestFields, parseApiUrl, type LanguageCode } from '../client/create-verification.js';
import { noApiKeyError } from '../errors.js';
import { parsePhone, type PhoneNumber } from '../phone.js';
import type { Tunnel, TunnelUpdate } from '../tunnel/expose-listener.js';
import type { Verification } from '../client/parse-verification.js';
import type { ProbeResult } from '../tunnel/probe.js';
import type { RememberedUrlCheck, UrlMemory } from '../tunnel/remembered-url.js';
import type { Delivery } from '../webhook/listener.js';

export interface CreateFlowOptions {
  phone: string;
  /** @default 'en' */
  language?: LanguageCode;
  expiryMinutes?: number;
  appUrl?: string;
  /** Required unless `sandbox`. */
  apiKey?: string;
  apiUrl?: string;
  /** Bound on the whole create call to the API, retries included. @default 25_000 */
  apiTimeoutMs?: number;
  /** Webhook secret from Verification Config; generated in the sandbox. Without it deliveries are not checked. */
  secret?: string;
  secretHeader?: string;
  /** Listener interface. @default '127.0.0.1' */
  host?: string;
  /** Listener port; 0 picks a free one. @default 0 */
  port?: number;
  /** Listener path. @default '/webhook' */
  path?: string;
  /** How SendTalk reaches the listener (not used in the sandbox, which delivers on this machine). @default 'none' */
  tunnel?: Tunnel;
  /**
   * Compare the public webhook URL with the last run's, remembered in this state file (event
   * `listening` says how it compares, before anything is created), and remember it. Off unless given.
   */
  rememberWebhookUrl?: UrlMemory;
  /**
   * Before creating the verification, send one request through the public URL and report (event
   * `probe`) whether it reached the listener. Not done in the sandbox or without a public URL.
   * @default true
   */
  probe?: boolean;
  /**
   * Once verified through a tunnel this flow opened, the tunnel closes only after the 200 has been
   * passed on through it (closing at once would cut it, and SendTalk would retry), waiting at most
   * this long for that. @default 1000
   */
  drainMs?: number;
  /** Wait for the verified webhook. @default true */
  wait?: boolean;
  /** Give up waiting after this long; the verification's expiry bounds it too. */
  timeoutMs?: number;
  /** Run against an in-process emulator with generated credentials: no key, no network. */
  sandbox?: boolean;
  /** Sandbox: delay before the emulator delivers the verified webhook. @default 2000 */
  sandboxDelayMs?: number;
  signal?: AbortSignal;
  onEvent?: (event: CreateFlowEvent) => void;
  /** HTTP trace lines for `--debug`, secrets masked. */
  onTrace?: (line: string) => void;
}

export type CreateFlowEvent =
  | { type: 'sandbox'; apiUrl: string }
  /**
   * `provider`: what exposes the listener (`none`, `public-url`, `localtunnel`, `cloudflared`, or a provider's `name`); `via`: what carries it, when known;
   * `remembered`: how the public webhook URL compares with the last run's (with `rememberWebhookUrl`).
   */
  | { type: 'listening'; localUrl: string; webhookUrl: string; public: boolean; provider?: string; via?: string; remembered?: RememberedUrlCheck }
  | { type: 'probe'; webhookUrl: string; result: ProbeResult }
  | { type: 'created'; verification: Verification }
  /** `ignoredExpiry`: the answer's expiry was in the past or implausibly far, and why it was not used. */
  | { type: 'waiting'; deadline: number; until: 'timeout' | 'expiry'; ignoredExpiry?: { expiresAt: string; why: 'past' | 'far' } }
  /** A tunnel this flow opened dropped, re-opened or retried; `webhookUrl` is the current one. */
  | TunnelUpdate
  /** `matched` is undefined for a delivery that arrived before the create answered: it is matched then. */
  | { type: 'delivery'; delivery: Delivery; matched: boolean | undefined };

/** `CreateFlowOptions` with its values checked once: what the flow runs on, checking nothing again. */
export interface CreateFlowConfig extends Omit<CreateFlowOptions, 'phone' | 'apiUrl' | 'language'> {
  phone: PhoneNumber;
  /** The API base URL; SendTalk's when absent (the sandbox uses its emulator's). */
  apiUrl?: URL;
  language: LanguageCode;
}

/**
 * The one place a library caller's plain values are checked, before anything starts (a tunnel can
 * take 20 s to open). The CLI builds a `CreateFlowConfig` itself and skips this.
 */
export function parseCreateFlowOptions(options: CreateFlowOptions): CreateFlowConfig {
  const phone = parsePhone(options.phone);
  const apiUrl = options.apiUrl === undefined ? undefined : parseApiUrl(options.apiUrl);
  if (!options.sandbox && !options.apiKey) throw noApiKeyError();
  const language = checkRequestFields(options);
  return { ...options, phone, apiUrl, language };
}
