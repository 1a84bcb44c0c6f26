import { Option, type Command } from 'commander';
import { ENV_VARS, pick, type ConfigSources } from '../config.js';
import { parseTimeout } from '../duration.js';
import { checkSubdomain, normaliseTunnelHost } from '../tunnel/tunnel-config.js';
import { configDir, type UrlIdentity, type UrlMemory } from '../tunnel/remembered-url.js';
import { DEFAULT_TUNNEL_HOST } from '../tunnel/types.js';
import type { TunnelChoice as CoreTunnelChoice } from '../tunnel/expose-listener.js';
import type { Output } from './output.js';
import { checkHttpUrl } from '../http/url.js';
import { secretHeaderOption, secretOption } from './common-flags.js';
import { hostOption, webhookPathOption } from './parse-flags.js';
import { fromSource } from './config-values.js';

/** The tunnel flags `create` and `listen` share. */
export interface TunnelFlags {
  tunnel?: string;
  subdomain?: string;
  tunnelHost?: string;
  tunnelTimeout?: string;
  publicUrl?: string;
}

/** What the flags choose: none, a --public-url, localtunnel, cloudflared (a provider), or auto (the first of both that opens). */
export type TunnelChoice = CoreTunnelChoice;

/** The values of --tunnel. */
export type TunnelKind = 'auto' | 'localtunnel' | 'cloudflared' | 'none';

export const DEFAULT_TUNNEL_TIMEOUT = '20s';

/** The webhook listener's flags, shared by `create` and `listen`. */
export function addListenerOptions(command: Command): Command {
  return command
    .addOption(secretOption())
    .addOption(secretHeaderOption('the one header that carries the webhook secret (default: X-Secret-Key or Secret-Key)'))
    .addOption(hostOption('address the webhook listener binds to (default: 127.0.0.1)'))
    .option('--port <port>', 'port of the webhook listener (default: a free one)')
    .addOption(webhookPathOption('path of the webhook listener (default: /webhook)'));
}

export function addTunnelOptions(command: Command, defaultKind: string): Command {
  return command
    .addOption(new Option('--tunnel <kind>', `how SendTalk reaches the listener: localtunnel, cloudflared (a quick tunnel; needs cloudflared installed), auto (localtunnel, then cloudflared), or none to stay local (default: ${defaultKind})`)
      .choices(['auto', 'localtunnel', 'cloudflared', 'none']))
    .option('--subdomain <name>', `ask localtunnel for this subdomain instead of the one derived from the API key (env ${ENV_VARS.subdomain})`)
    .option('--tunnel-host <url>', `localtunnel server to use, e.g. your own (env ${ENV_VARS.tunnelHost}, default ${DEFAULT_TUNNEL_HOST})`)
    .option('--tunnel-timeout <duration>', `give up opening the tunnel after this long (default: ${DEFAULT_TUNNEL_TIMEOUT})`)
    .option('--public-url <url>', 'public URL of your own tunnel (ngrok, cloudflared) that forwards to the listener; no tunnel is opened');
}

export function tunnelEnvHelp(): string {
  return `  ${ENV_VARS.tunnelHost.padEnd(24)} localtunnel server (--tunnel-host)
  ${ENV_VARS.subdomain.padEnd(24)} localtunnel subdomain (--subdomain)
  ${ENV_VARS.cloudflaredBin.padEnd(24)} the cloudflared binary, when it is not on PATH (--tunnel cloudflared, auto)
`;
}

/**
 * Turns the flags (over the environment, over .env) into what to open; warns about flags that do
 * nothing. Without --subdomain, localtunnel (on its own or as `auto`'s first try) is asked for the
 * one `identity` derives, so the webhook URL is the same every run with no configuration.
 */
export function resolveTunnel(flags: TunnelFlags, sources: ConfigSources, defaultKind: TunnelKind, output: Output, identity: UrlIdentity): TunnelChoice {
  if (flags.publicUrl !== undefined) {
    checkPublicUrl(flags.publicUrl);
    if ((flags.tunnel !== undefined && flags.tunnel !== 'none') || flags.subdomain !== undefined || flags.tunnelHost !== undefined) {
      output.warn('--public-url is given, so no tunnel is opened: --tunnel, --subdomain and --tunnel-host are ignored.');
    }
    return { kind: 'public-url', publicUrl: flags.publicUrl };
  }
  const kind = (flags.tunnel ?? defaultKind) as TunnelKind;
  if (kind === 'none') {
    if (flags.subdomain !== undefined || flags.tunnelHost !== undefined) {
      output.warn(`No tunnel is opened (${flags.tunnel === 'none' ? '--tunnel none' : 'the default here'}): --subdomain and --tunnel-host are ignored.`);
    }
    return { kind: 'none' };
  }
  const timeoutMs = parseTimeout(flags.tunnelTimeout ?? DEFAULT_TUNNEL_TIMEOUT, '--tunnel-timeout');
  const cloudflared = cloudflaredChoice(pick(undefined, ENV_VARS.cloudflaredBin, sources).value, timeoutMs);
  if (kind === 'cloudflared') {
    if (flags.subdomain !== undefined || flags.tunnelHost !== undefined) {
      output.warn('--tunnel cloudflared opens a quick tunnel, whose name Cloudflare picks: --subdomain and --tunnel-host are ignored.');
    }
    return cloudflared;
  }
  const localtunnel = localtunnelChoice(flags, sources, timeoutMs, identity);
  return kind === 'auto' ? { kind: 'auto', tries: [localtunnel, cloudflared] } : localtunnel;
}

/** localtunnel, alone or in `auto`: --subdomain (or its env) when given, else the one derived from `identity`. */
function localtunnelChoice(flags: TunnelFlags, sources: ConfigSources, timeoutMs: number, identity: UrlIdentity): Extract<TunnelChoice, { kind: 'localtunnel' }> {
  const hostPick = pick(flags.tunnelHost, ENV_VARS.tunnelHost, sources, DEFAULT_TUNNEL_HOST);
  const host = fromSource(() => normaliseTunnelHost(hostPick.value), hostPick, '--tunnel-host', ENV_VARS.tunnelHost, sources);
  const subdomainPick = pick(flags.subdomain, ENV_VARS.subdomain, sources);
  const subdomain = subdomainPick.value;
  return { kind: 'localtunnel', host, subdomain: subdomain === undefined ? identity.subdomain : fromSource(() => checkSubdomain(subdomain), subdomainPick, '--subdomain', ENV_VARS.subdomain, sources), timeoutMs };
}

/**
 * Where a run through `choice` remembers its public webhook URL: nowhere when it stays local. Every
 * public URL is remembered (a --public-url, localtunnel's, cloudflared's), so the next run can say
 * whether the dashboard still points at it.
 */
export function webhookUrlMemory(choice: TunnelChoice, identity: UrlIdentity, sources: ConfigSources): UrlMemory | undefined {
  return choice.kind === 'none' ? undefined : { dir: configDir(sources.env), key: identity.stateKey };
}

function cloudflaredChoice(bin: string | undefined, timeoutMs: number): Extract<TunnelChoice, { kind: 'cloudflared' }> {
  return { kind: 'cloudflared', bin, timeoutMs };
}

function checkPublicUrl(url: string): void {
  checkHttpUrl(url, '--public-url', 'Pass the URL your tunnel gives you, e.g. --public-url https://abc.ngrok.app.');
}
