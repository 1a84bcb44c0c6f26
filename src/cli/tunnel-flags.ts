import type { Command } from 'commander';
import { ENV_VARS, pick, type ConfigSources } from '../config.js';
import { SendtalkVerifyError } from '../errors.js';
import { checkSubdomain, normaliseTunnelHost } from '../tunnel/tunnel-config.js';
import { configDir, type UrlIdentity, type UrlMemory } from '../tunnel/remembered-url.js';
import { DEFAULT_TUNNEL_HOST } from '../tunnel/types.js';
import type { TunnelChoice as CoreTunnelChoice } from '../tunnel/expose-listener.js';
import { checkHttpUrl } from '../http/url.js';
import { checkListenHost, checkWebhookPath, parseHeaderName, secretOption } from './flags.js';
import { envDuration, envSetting, fromSource } from './config-values.js';

/** `--tunnel`, which `create`, `listen` and `doctor` share. */
export interface TunnelFlags {
  tunnel?: string;
}

/** What the flags choose: none, your own tunnel's URL, localtunnel, cloudflared (a provider), or auto (the first of both that opens). */
export type TunnelChoice = CoreTunnelChoice;

/** The words --tunnel takes besides a URL. */
export type TunnelKind = 'auto' | 'localtunnel' | 'cloudflared' | 'none';
const TUNNEL_KINDS: readonly string[] = ['auto', 'localtunnel', 'cloudflared', 'none'];

export const DEFAULT_TUNNEL_TIMEOUT_MS = 20_000;

/** The webhook listener's settings that have no flag: the environment's (or .env's), checked. */
export interface ListenerSettings {
  host?: string;
  path?: string;
  secretHeader?: string;
}

/** The webhook listener's flags, shared by `create` and `listen`: the secret and the port (what your own tunnel forwards to). */
export function addListenerOptions(command: Command): Command {
  return command
    .addOption(secretOption())
    .option('--port <port>', 'port of the webhook listener, e.g. the one your own tunnel forwards to (default: a free one)');
}

/** SENDTALK_LISTEN_HOST, SENDTALK_WEBHOOK_PATH and SENDTALK_SECRET_HEADER, each checked before anything starts. */
export function listenerSettings(sources: ConfigSources): ListenerSettings {
  return {
    host: envSetting(ENV_VARS.listenHost, sources, checkListenHost),
    path: envSetting(ENV_VARS.webhookPath, sources, checkWebhookPath),
    secretHeader: secretHeaderSetting(sources),
  };
}

/** SENDTALK_SECRET_HEADER: the one header the listener reads the secret from, and the one trigger and the emulator send it in. */
export function secretHeaderSetting(sources: ConfigSources): string | undefined {
  return envSetting(ENV_VARS.secretHeader, sources, parseHeaderName);
}

export function addTunnelOption(command: Command, defaultKind: string): Command {
  // doctor has no --port: it checks a tunnel to a listener of its own.
  const forwarding = command.options.some((option) => option.long === '--port') ? ' forwarding to --port' : '';
  return command.option(
    '--tunnel <kind|url>',
    `how SendTalk reaches the listener: localtunnel, cloudflared (a quick tunnel; needs cloudflared installed), auto (localtunnel, then cloudflared), none to stay local, or the https URL of your own tunnel (ngrok…)${forwarding} (default: ${defaultKind})`,
  );
}

export function tunnelEnvRows(): Array<[string, string]> {
  return [
    [ENV_VARS.tunnelHost, `localtunnel server (default ${DEFAULT_TUNNEL_HOST})`],
    [ENV_VARS.subdomain, 'localtunnel subdomain (default: one derived from the API key)'],
    [ENV_VARS.tunnelTimeout, 'give up opening the tunnel after this long (default 20s)'],
    [ENV_VARS.cloudflaredBin, 'the cloudflared binary, when it is not on PATH'],
  ];
}

export function listenerEnvRows(): Array<[string, string]> {
  return [
    [ENV_VARS.secretHeader, 'the one header that carries the secret (default: X-Secret-Key or Secret-Key)'],
    [ENV_VARS.listenHost, 'address the webhook listener binds to (default 127.0.0.1)'],
    [ENV_VARS.webhookPath, 'path of the webhook listener (default /webhook)'],
  ];
}

/**
 * Turns --tunnel (and the tunnel's settings in the environment or .env) into what to open. A URL
 * is your own tunnel: nothing is opened. Without SENDTALK_SUBDOMAIN, localtunnel (on its own or as
 * `auto`'s first try) is asked for the one `identity` derives, so the webhook URL is the same every
 * run with no configuration.
 */
export function resolveTunnel(flags: TunnelFlags, sources: ConfigSources, defaultKind: TunnelKind, identity: UrlIdentity): TunnelChoice {
  const given = flags.tunnel;
  if (given !== undefined && !TUNNEL_KINDS.includes(given.toLowerCase())) return { kind: 'public-url', publicUrl: checkTunnelUrl(given) };
  const kind = (given?.toLowerCase() ?? defaultKind) as TunnelKind;
  if (kind === 'none') return { kind: 'none' };
  const timeoutMs = envDuration(ENV_VARS.tunnelTimeout, sources, 'timeout') ?? DEFAULT_TUNNEL_TIMEOUT_MS;
  const cloudflared = cloudflaredChoice(pick(undefined, ENV_VARS.cloudflaredBin, sources).value, timeoutMs);
  if (kind === 'cloudflared') return cloudflared;
  const localtunnel = localtunnelChoice(sources, timeoutMs, identity);
  return kind === 'auto' ? { kind: 'auto', tries: [localtunnel, cloudflared] } : localtunnel;
}

/** localtunnel, alone or in `auto`: SENDTALK_SUBDOMAIN when set, else the one derived from `identity`. */
function localtunnelChoice(sources: ConfigSources, timeoutMs: number, identity: UrlIdentity): Extract<TunnelChoice, { kind: 'localtunnel' }> {
  const hostPick = pick(undefined, ENV_VARS.tunnelHost, sources, DEFAULT_TUNNEL_HOST);
  const host = fromSource(() => normaliseTunnelHost(hostPick.value), hostPick, ENV_VARS.tunnelHost, ENV_VARS.tunnelHost, sources);
  const subdomain = envSetting(ENV_VARS.subdomain, sources, checkSubdomain);
  return { kind: 'localtunnel', host, subdomain: subdomain ?? identity.subdomain, timeoutMs };
}

/** `--tunnel URL`: your own tunnel. A word that is neither a kind nor a URL is most likely a typo of a kind. */
function checkTunnelUrl(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new SendtalkVerifyError('usage', `--tunnel "${text}" is neither ${TUNNEL_KINDS.join(', ')} nor a URL.`, {
      hint: 'Pass one of those words, or the URL your own tunnel gives you, e.g. --tunnel https://abc.ngrok.app.',
    });
  }
  checkHttpUrl(text, '--tunnel', 'Pass the URL your own tunnel gives you, e.g. --tunnel https://abc.ngrok.app.');
  return text;
}

/**
 * Where a run through `choice` remembers its public webhook URL: nowhere when it stays local. Every
 * public URL is remembered (your own tunnel's, localtunnel's, cloudflared's), so the next run can say
 * whether the dashboard still points at it.
 */
export function webhookUrlMemory(choice: TunnelChoice, identity: UrlIdentity, sources: ConfigSources): UrlMemory | undefined {
  return choice.kind === 'none' ? undefined : { dir: configDir(sources.env), key: identity.stateKey };
}

function cloudflaredChoice(bin: string | undefined, timeoutMs: number): Extract<TunnelChoice, { kind: 'cloudflared' }> {
  return { kind: 'cloudflared', bin, timeoutMs };
}
