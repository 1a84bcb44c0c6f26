import { randomBytes } from 'node:crypto';
import { checkApiKey } from '../client/check-api-key.js';
import { DEFAULT_API_URL } from '../client/create-verification.js';
import type { ConfigSource } from '../config.js';
import { formatDuration } from '../duration.js';
import { SendtalkVerifyError } from '../errors.js';
import { maskSecret } from '../mask.js';
import { sendRequest, SendFailure } from '../http/client.js';
import { REMINDER_BYPASS_HEADERS } from '../tunnel/probe.js';
import { DEFAULT_TUNNEL_HOST, type TunnelHandle, type TunnelOptions } from '../tunnel/types.js';
import { exposeListener, type ExposedListener, type TunnelChoice } from '../tunnel/expose-listener.js';
import { startListener, type ListenerHandle } from '../webhook/listener.js';
import { DEFAULT_SECRET_HEADER } from '../webhook/secret.js';
import { USER_AGENT } from '../version.js';
import { hostOf } from '../http/url.js';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface DoctorCheck {
  id: 'node' | 'api-key' | 'api' | 'secret' | 'tunnel' | 'webhook';
  title: string;
  status: CheckStatus;
  /** What was found, secrets masked. */
  detail: string;
  /** What to do when it failed (or was skipped for want of something). */
  fix?: string;
  /** Worth knowing even when it passed (localtunnel's unencrypted last leg). */
  note?: string;
}

export interface DoctorOptions {
  apiKey?: { value: string; source: ConfigSource };
  /** The API base URL, checked by the caller. @default SendTalk's */
  apiUrl?: URL;
  secret?: { value: string; source: ConfigSource };
  secretHeader?: string;
  /** What SendTalk would go through; a tunnel opened here (localtunnel, cloudflared, auto) is opened to check it. */
  tunnel: TunnelChoice;
  /** Replaces the tunnel opener (tests). @default openTunnel from src/tunnel, loaded on use */
  openTunnel?: (options: TunnelOptions) => Promise<TunnelHandle>;
  /** @default process.version */
  nodeVersion?: string;
  /** Bound on each network step. @default 10_000 */
  stepTimeoutMs?: number;
  signal?: AbortSignal;
  /** Called as each check finishes, so a terminal can show progress. */
  onCheck?: (check: DoctorCheck) => void;
}

export const MIN_NODE = [20, 18] as const;

/**
 * Checks a set-up end to end and returns a row per check. Never throws for a failed check (that is
 * a row); only an interruption rejects.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const add = (check: DoctorCheck): void => {
    checks.push(check);
    options.onCheck?.(check);
  };
  const source = (s: ConfigSource): string => ({ flag: 'from the flag', env: 'from the environment', dotenv: 'from .env', default: 'default' })[s];

  add(checkNode(options.nodeVersion ?? process.version));

  const key = options.apiKey;
  add(
    key
      ? { id: 'api-key', title: 'API key present', status: 'pass', detail: `${maskSecret(key.value)} (${source(key.source)})` }
      : {
          id: 'api-key',
          title: 'API key present',
          status: 'fail',
          detail: 'no API key',
          fix: 'Set SENDTALK_API_KEY (or pass --api-key) to the key from the SendTalk dashboard.',
        },
  );

  const apiUrl = options.apiUrl ?? new URL(DEFAULT_API_URL);
  if (!key) {
    add({ id: 'api', title: 'API reachable, key accepted', status: 'skip', detail: 'needs an API key', fix: 'Set SENDTALK_API_KEY first.' });
  } else {
    const verdict = await checkApiKey({
      apiKey: key.value,
      apiUrl,
      signal: options.signal,
      responseTimeoutMs: options.stepTimeoutMs ?? 10_000,
      connectTimeoutMs: options.stepTimeoutMs ?? 10_000,
    });
    if (!verdict.reachable) {
      // The client's messages name the host themselves: prefixing it again would say it twice.
      const detail = verdict.detail.includes(apiUrl.host) ? verdict.detail : `${apiUrl.host}: ${verdict.detail}`;
      add({
        id: 'api',
        title: 'API reachable, key accepted',
        status: 'fail',
        detail,
        fix: verdict.hint ?? 'Check your network and --api-url (SENDTALK_API_URL).',
      });
    } else if (!verdict.keyAccepted) {
      add({
        id: 'api',
        title: 'API reachable, key accepted',
        status: 'fail',
        detail: `${apiUrl.host} refused the API key ${maskSecret(key.value)}: ${verdict.detail}`,
        fix: 'The API key is wrong: copy it again from the SendTalk dashboard into SENDTALK_API_KEY (or --api-key).',
      });
    } else {
      add({ id: 'api', title: 'API reachable, key accepted', status: 'pass', detail: `${apiUrl.host}: ${verdict.detail}` });
    }
  }

  const secret = options.secret;
  add(
    secret
      ? { id: 'secret', title: 'Webhook secret set', status: 'pass', detail: `${maskSecret(secret.value)} (${source(secret.source)})` }
      : {
          id: 'secret',
          title: 'Webhook secret set',
          status: 'fail',
          detail: 'no webhook secret: deliveries could not be checked',
          fix: 'Set SENDTALK_WEBHOOK_SECRET (or --secret) to the secret shown after saving Verification Config.',
        },
  );

  for (const check of await checkWebhookPath(options, secret?.value)) add(check);
  return checks;
}

function checkNode(version: string): DoctorCheck {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return ok
    ? { id: 'node', title: 'Node.js version', status: 'pass', detail: version }
    : {
        id: 'node',
        title: 'Node.js version',
        status: 'fail',
        detail: `${version} is older than ${MIN_NODE.join('.')}`,
        fix: `Install Node.js ${MIN_NODE.join('.')} or newer.`,
      };
}

/**
 * Opens the tunnel (as `create` would) in front of a temporary listener, then sends a signed test
 * delivery to the public webhook URL and checks that the listener accepted it: the same path
 * SendTalk's webhook will take, secret included.
 */
async function checkWebhookPath(options: DoctorOptions, secret: string | undefined): Promise<DoctorCheck[]> {
  // Without a configured secret, still prove the path works with a throwaway one.
  const probeSecret = secret ?? randomBytes(16).toString('hex');
  const header = options.secretHeader ?? DEFAULT_SECRET_HEADER;
  const listener = await startListener({ secret: probeSecret, secretHeader: header });
  let exposed: ExposedListener | undefined;
  try {
    const opened = await openTunnelRow(options, listener);
    exposed = opened.exposed;
    const delivery = await sendTestDelivery(options, exposed, listener, { value: probeSecret, header, yours: secret !== undefined });
    return [opened.row, delivery];
  } finally {
    await exposed?.close().catch(() => {});
    await listener.close();
  }
}

/**
 * localtunnel's server passes each request to this machine over plain TCP, whatever the public
 * URL's scheme: the secret header is readable on that leg, unless the server runs here.
 */
const CLEAR_LAST_LEG =
  "localtunnel's last leg (its server → this machine) is unencrypted TCP: the webhook secret crosses it in clear. " +
  'For TLS all the way: --tunnel cloudflared, your own localtunnel server on this machine behind a TLS front (SENDTALK_TUNNEL_HOST), or your own tunnel (ngrok) with --tunnel URL.';

function onThisMachine(host: string): boolean {
  const name = hostOf(host)
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\./.test(name);
}

/** The tunnel row: skipped without one of ours, else whether it opened (and how fast). */
async function openTunnelRow(options: DoctorOptions, listener: ListenerHandle): Promise<{ row: DoctorCheck; exposed?: ExposedListener }> {
  const title = 'Tunnel opens';
  const t = options.tunnel;
  if (t.kind === 'none') {
    return {
      row: {
        id: 'tunnel',
        title,
        status: 'skip',
        detail: '--tunnel none: SendTalk cannot reach this machine',
        fix: 'Drop --tunnel none to check the tunnel create would open, or pass the URL of your own tunnel to --tunnel.',
      },
    };
  }
  if (t.kind === 'public-url') {
    return { row: { id: 'tunnel', title, status: 'skip', detail: `your own tunnel at ${t.publicUrl}, not opened by this tool` } };
  }
  try {
    const started = Date.now();
    const exposed = await exposeListener(listener, t, { signal: options.signal, openTunnel: options.openTunnel });
    const localtunnel = localtunnelOf(t);
    // Only when localtunnel is what opened (with auto, cloudflared may have): its last leg is in clear.
    const note = exposed.provider === 'localtunnel' && !onThisMachine(localtunnel?.host ?? DEFAULT_TUNNEL_HOST) ? CLEAR_LAST_LEG : undefined;
    return {
      exposed,
      row: {
        id: 'tunnel',
        title,
        status: 'pass',
        detail: `${exposed.publicBaseUrl()} ${carrier(t, exposed)} in ${formatDuration(Date.now() - started)}`,
        ...(note ? { note } : {}),
      },
    };
  } catch (error) {
    if (error instanceof SendtalkVerifyError && error.category === 'interrupted') throw error;
    const known = error instanceof SendtalkVerifyError ? error : undefined;
    return {
      row: {
        id: 'tunnel',
        title,
        status: 'fail',
        detail: known?.message ?? (error as Error).message,
        fix: known?.hint ?? 'Try another localtunnel server (SENDTALK_TUNNEL_HOST), or your own tunnel with --tunnel URL.',
      },
    };
  }
}

/**
 * What carries the URL: the localtunnel server, or what the provider says of itself (cloudflared's
 * version and path); with `auto`, which provider it was.
 */
function carrier(choice: TunnelChoice, exposed: ExposedListener): string {
  const localtunnel = localtunnelOf(choice);
  const what = exposed.provider === 'localtunnel' ? `localtunnel at ${hostOf(localtunnel?.host ?? DEFAULT_TUNNEL_HOST)}` : (exposed.via ?? exposed.provider);
  return `via ${what}${choice.kind === 'auto' ? ' (--tunnel auto)' : ''}`;
}

/** The localtunnel in `choice`, alone or as one of `auto`'s tries. */
function localtunnelOf(choice: TunnelChoice): Extract<TunnelChoice, { kind: 'localtunnel' }> | undefined {
  if (choice.kind === 'localtunnel') return choice;
  if (choice.kind !== 'auto') return undefined;
  for (const t of choice.tries) if (t.kind === 'localtunnel') return t;
  return undefined;
}

async function sendTestDelivery(
  options: DoctorOptions,
  exposed: ExposedListener | undefined,
  listener: ListenerHandle,
  secret: { value: string; header: string; yours: boolean },
): Promise<DoctorCheck> {
  const title = 'Signed delivery reaches the listener';
  if (options.tunnel.kind === 'public-url') {
    // Your own tunnel forwards to a port we do not know, so the temporary listener cannot be behind it.
    return { id: 'webhook', title, status: 'skip', detail: 'with your own tunnel, run `listen --tunnel URL` and `trigger --url …` to check it' };
  }
  if (options.tunnel.kind !== 'none' && exposed === undefined) {
    return { id: 'webhook', title, status: 'skip', detail: 'needs the tunnel', fix: 'Fix the tunnel first.' };
  }
  const url = exposed?.webhookUrl() ?? listener.url;
  const id = `doctor-${randomBytes(6).toString('hex')}`;
  try {
    const answer = await sendRequest(url, {
      method: 'POST',
      timeoutMs: options.stepTimeoutMs ?? 10_000,
      signal: options.signal,
      headers: { ...REMINDER_BYPASS_HEADERS, 'content-type': 'application/json', 'user-agent': USER_AGENT, [secret.header]: secret.value },
      body: JSON.stringify({ verificationID: id, status: 'verified', test: true }),
    });
    const arrived = listener.accepted.some((d) => d.verificationId === id);
    if (answer.status === 200 && arrived) {
      // Say only what was checked: without a configured secret the delivery carried a throwaway one.
      const what = secret.yours
        ? `your secret passed in ${secret.header}`
        : `sent with a throwaway secret in ${secret.header} (no webhook secret is set, so yours was not checked)`;
      return { id: 'webhook', title, status: 'pass', detail: `${url} → 200 in ${formatDuration(answer.ms)}, ${what}` };
    }
    return {
      id: 'webhook',
      title,
      status: 'fail',
      detail: `${url} answered HTTP ${answer.status}${arrived ? '' : ' and the listener never saw it'}`,
      fix: 'The tunnel does not lead to the listener: try another localtunnel server (SENDTALK_TUNNEL_HOST), or your own tunnel with --tunnel URL.',
    };
  } catch (error) {
    const message = error instanceof SendFailure ? error.message : (error as Error).message;
    return {
      id: 'webhook',
      title,
      status: 'fail',
      detail: `${url}: ${message}`,
      fix: 'The tunnel does not lead to the listener: try another localtunnel server (SENDTALK_TUNNEL_HOST), or your own tunnel with --tunnel URL.',
    };
  }
}
