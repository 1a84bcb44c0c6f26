import { ENV_VARS } from '../../config.js';
import { formatDuration } from '../../duration.js';
import type { RememberedUrlCheck } from '../../tunnel/remembered-url.js';
import type { TunnelEvent } from '../../tunnel/types.js';
import type { Output } from '../output.js';
import type { TunnelChoice } from '../tunnel-flags.js';

const DASHBOARD_STEPS = 'WhatsApp Verification → Verification Config → Edit → Webhook URL';

/** What the flow knows of the URL it shows: who opened it (with `--tunnel auto`, the one that did), what carries it, and how it compares with the last run's. */
export interface OpenedUrl {
  provider?: string;
  via?: string;
  remembered?: RememberedUrlCheck;
}

/**
 * The lines that go with a webhook URL: where it goes, what carries it, and whether the dashboard
 * needs a visit. A URL that changed since the last run is said loudly (a warning, shown even with
 * --quiet): the dashboard still points at the old one, and saving the new one makes a new secret.
 * A cloudflared quick tunnel's URL is new every run, so it says the dashboard must follow each time.
 */
export function webhookUrlAdvice(output: Output, webhookUrl: string, choice: TunnelChoice, opened: OpenedUrl = {}): void {
  const c = output.c;
  const { remembered } = opened;
  const quickTunnel = opened.provider === 'cloudflared';
  const everyRun =
    "A cloudflared quick tunnel's URL is new on every run: update the dashboard each time. --tunnel localtunnel keeps one URL, named after the API key.";
  if (remembered?.problem) output.warn(`The last webhook URL is not remembered: ${remembered.problem}. The run goes on.`);
  if (remembered?.change === 'changed') {
    urlChangedSteps(output, 'The webhook URL CHANGED since the last run: SendTalk still delivers to the old one.', remembered.previousWebhookUrl, webhookUrl);
    if (quickTunnel) output.warn(`  ${everyRun}`);
    tunnelLine(output, choice, opened);
    return;
  }
  output.info(`  Webhook URL: ${c.bold(webhookUrl)}`);
  tunnelLine(output, choice, opened);
  if (remembered?.change === 'same') {
    output.info(c.dim('  Same webhook URL as last time: the dashboard needs nothing.'));
    return;
  }
  const steps = `${DASHBOARD_STEPS} → Save Changes, and put the secret it shows in ${ENV_VARS.secret}.`;
  if (quickTunnel) {
    output.info(c.dim(`  Set it in the SendTalk dashboard: ${steps}`));
    output.info(c.dim(`  ${everyRun}`));
    return;
  }
  const next = remembered ? ' Later runs get the same URL.' : '';
  output.info(c.dim(`  Set it once in the SendTalk dashboard: ${steps}${next}`));
}

/**
 * The loud part of a changed URL, at the start of a run or when a tunnel re-opened under another
 * name: the old and new URL and the exact dashboard steps (saving makes a new secret).
 */
function urlChangedSteps(output: Output, headline: string, previousWebhookUrl: string | undefined, webhookUrl: string | undefined): void {
  output.warn(headline);
  if (previousWebhookUrl) output.warn(`  was: ${previousWebhookUrl}`);
  output.warn(`  now: ${output.c.bold(webhookUrl ?? '(unknown)')}`);
  output.warn(`  In the SendTalk dashboard: ${DASHBOARD_STEPS} → paste the new URL → Save Changes.`);
  output.warn(`  Saving makes a NEW secret key: copy it into ${ENV_VARS.secret} (this run still checks the one it started with).`);
}

/** What carries the URL, when it is worth saying: the provider `--tunnel auto` chose, or what the provider says of itself. */
function tunnelLine(output: Output, choice: TunnelChoice, opened: OpenedUrl): void {
  const c = output.c;
  if (choice.kind === 'auto' && opened.provider) output.info(c.dim(`  Tunnel: ${opened.via ?? opened.provider} (chosen by --tunnel auto).`));
  else if (opened.via) output.info(c.dim(`  Tunnel: ${opened.via}.`));
}

/** The tunnel's state in a few words, for a status line. */
export function tunnelStateLabel(event: Extract<TunnelEvent, { type: 'state' }>): string {
  return event.state === 'up' || event.state === 'checking' ? `tunnel ${event.state}` : `tunnel ${event.state}: ${event.reason ?? 'no answer'}`;
}

/**
 * Shows a tunnel event to a person (stderr). `webhookUrl` is the current public webhook URL;
 * `provider` the one that opened it (`localtunnel`, `cloudflared`…), when known.
 * Events for `--debug` only go to the trace. Every kind of event is handled (the compiler checks).
 */
export function showTunnelEvent(output: Output, event: TunnelEvent, webhookUrl: string | undefined, previousWebhookUrl?: string, provider?: string): void {
  switch (event.type) {
    case 'subdomain-replaced':
      output.warn(`The tunnel server gave the subdomain "${event.assigned}" instead of "${event.requested}" (it is taken, or was refused).`);
      output.info(`  The webhook URL is ${webhookUrl ?? event.url}.`);
      break;
    case 'down':
      output.warn(`The tunnel dropped (${event.reason}); re-opening${event.retryInMs > 0 ? ` in ${formatDuration(event.retryInMs)}` : ''}…`);
      break;
    case 'still-down':
      output.warn(`The tunnel is still down after ${formatDuration(event.downForMs)}; still trying (Ctrl-C to stop).`);
      break;
    case 'reopened':
      if (event.changed) {
        urlChangedSteps(output, 'The tunnel re-opened with a NEW URL: SendTalk still delivers to the old one.', previousWebhookUrl, webhookUrl);
        // What is true of each provider: localtunnel asked for its name again (a few times, as the
        // server frees it only after the old connections close); a quick tunnel never keeps its URL.
        output.info(
          output.c.dim(
            provider === 'cloudflared'
              ? '  A cloudflared quick tunnel gets a new URL whenever it restarts. The new URL is remembered: the next run says whether the dashboard needs it.'
              : '  The tunnel server did not give the old name back (still held, or taken). The new URL is remembered: the next run says whether the dashboard needs it.',
          ),
        );
      } else {
        output.success(`The tunnel re-opened at the same URL: ${webhookUrl}`);
      }
      break;
    case 'state':
      // Re-openings speak through `down` and `reopened`; the routine checks stay on the spinner.
      if (event.state === 'down') {
        output.warn(`The public URL stopped reaching this listener: ${event.reason}.`);
        output.info(output.c.dim('  Nothing here can re-open your own tunnel: check it; SendTalk cannot deliver until it answers again.'));
      } else if (event.state === 'up' && event.previous === 'down') {
        output.success(`The public URL reaches this listener again: ${webhookUrl}`);
      } else output.trace(`tunnel: ${event.state}${event.reason ? ` (${event.reason})` : ''}`);
      break;
    case 'fallback':
      output.warn(
        event.what === 'protocol'
          ? `cloudflared could not connect over QUIC (${event.reason}); UDP port 7844 may be blocked here: restarting it with --protocol http2.`
          : `${event.from} could not open a tunnel (${event.reason}); trying ${event.to} (--tunnel auto).`,
      );
      break;
    case 'error':
      output.trace(`tunnel: ${event.message}`);
      break;
    case 'request':
      output.trace(`tunnel: ${event.method} ${event.path}`);
      break;
    default: {
      const unhandled: never = event;
      output.trace(`tunnel: ${JSON.stringify(unhandled)}`);
    }
  }
}
