import { formatDuration } from '../../duration.js';
import type { TunnelEvent } from '../../tunnel/types.js';
import type { Output } from '../output.js';
import type { TunnelChoice } from '../tunnel-flags.js';

/** The lines that go with a webhook URL: where it goes, and how to keep it. */
export function webhookUrlAdvice(output: Output, webhookUrl: string, choice: TunnelChoice): void {
  const c = output.c;
  output.info(`  Webhook URL: ${c.bold(webhookUrl)}`);
  const keep = choice.kind === 'localtunnel' && !choice.subdomain ? ' --subdomain NAME keeps it the same next time.' : '';
  output.info(c.dim(`  Set it in the SendTalk dashboard: WhatsApp Verification → Verification Config → Webhook URL.${keep}`));
}

/** The tunnel's state in a few words, for a status line. */
export function tunnelStateLabel(event: Extract<TunnelEvent, { type: 'state' }>): string {
  return event.state === 'up' || event.state === 'checking' ? `tunnel ${event.state}` : `tunnel ${event.state}: ${event.reason ?? 'no answer'}`;
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
    case 'state':
      // Re-openings speak through `down` and `reopened`; the routine checks stay on the spinner.
      if (event.state === 'down') {
        output.warn(`The public URL stopped reaching this listener: ${event.reason}.`);
        output.info(output.c.dim('  Nothing here can re-open your own tunnel: check it; SendTalk cannot deliver until it answers again.'));
      } else if (event.state === 'up' && event.previous === 'down') {
        output.success(`The public URL reaches this listener again: ${webhookUrl}`);
      } else output.trace(`tunnel: ${event.state}${event.reason ? ` (${event.reason})` : ''}`);
      break;
    case 'error':
      output.trace(`tunnel: ${event.message}`);
      break;
    case 'request':
      output.trace(`tunnel: ${event.method} ${event.path}`);
      break;
  }
}
