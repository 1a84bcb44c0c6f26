import { formatDuration } from '../../duration.js';
import type { TunnelEvent } from '../../tunnel/types.js';
import type { Output } from '../output.js';
import type { TunnelChoice } from '../tunnel-flags.js';

/**
 * The lines that go with a webhook URL: where it goes, what carries it, and how to keep it.
 * `provider` is what exposed it (with `--tunnel auto`, the one that opened).
 */
export function webhookUrlAdvice(output: Output, webhookUrl: string, choice: TunnelChoice, opened: { provider?: string; via?: string } = {}): void {
  const c = output.c;
  output.info(`  Webhook URL: ${c.bold(webhookUrl)}`);
  if (choice.kind === 'auto' && opened.provider) output.info(c.dim(`  Tunnel: ${opened.via ?? opened.provider} (chosen by --tunnel auto).`));
  else if (opened.via) output.info(c.dim(`  Tunnel: ${opened.via}.`));
  const dashboard = 'Set it in the SendTalk dashboard: WhatsApp Verification → Verification Config → Webhook URL.';
  if (opened.provider === 'cloudflared') {
    // Saving the URL makes a new secret: a quick tunnel costs that trip on every run.
    output.info(c.dim(`  ${dashboard}`));
    output.info(c.dim("  A cloudflared quick tunnel's URL is new on every run: update the dashboard each time, and copy the new secret saving shows. --tunnel localtunnel --subdomain NAME keeps one URL."));
    return;
  }
  const asked = choice.kind === 'localtunnel' ? choice.subdomain : choice.kind === 'auto' ? choice.tries.find((t) => t.kind === 'localtunnel')?.subdomain : 'n/a';
  const keep = (opened.provider ?? choice.kind) === 'localtunnel' && !asked ? ' --subdomain NAME keeps it the same next time.' : '';
  output.info(c.dim(`  ${dashboard}${keep}`));
}

/**
 * Shows a tunnel event to a person (stderr). `webhookUrl` is the current public webhook URL.
 * Events for `--debug` only go to the trace.
 */
export function showTunnelEvent(output: Output, event: TunnelEvent, webhookUrl: string | undefined, previousWebhookUrl?: string): void {
  switch (event.type) {
    case 'subdomain-replaced':
      output.warn(`The tunnel server gave the subdomain "${event.assigned}" instead of "${event.requested}" (it is taken, or was refused).`);
      output.info(`  The webhook URL is ${webhookUrl ?? event.url}: set that in the dashboard, or pick another --subdomain.`);
      break;
    case 'down':
      output.warn(`The tunnel dropped (${event.reason}); re-opening${event.retryInMs > 0 ? ` in ${formatDuration(event.retryInMs)}` : ''}…`);
      break;
    case 'still-down':
      output.warn(`The tunnel is still down after ${formatDuration(event.downForMs)}; still trying (Ctrl-C to stop).`);
      break;
    case 'reopened':
      if (event.changed) {
        output.warn(`The tunnel re-opened with a NEW URL: ${webhookUrl}`);
        output.info(`  Update the Webhook URL in the SendTalk dashboard (it was ${previousWebhookUrl}). --subdomain NAME asks for a stable one.`);
      } else {
        output.success(`The tunnel re-opened at the same URL: ${webhookUrl}`);
      }
      break;
    case 'fallback':
      output.warn(event.what === 'protocol'
        ? `cloudflared could not connect over QUIC (${event.reason}); UDP port 7844 may be blocked here: restarting it with --protocol http2.`
        : `${event.from} could not open a tunnel (${event.reason}); trying ${event.to} (--tunnel auto).`);
      break;
    case 'error':
      output.trace(`tunnel: ${event.message}`);
      break;
    case 'request':
      output.trace(`tunnel: ${event.method} ${event.path}`);
      break;
  }
}
