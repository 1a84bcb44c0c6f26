import { ENV_VARS } from '../../config.js';
import { formatDuration } from '../../duration.js';
import type { RememberedUrlCheck } from '../../tunnel/remembered-url.js';
import type { TunnelEvent } from '../../tunnel/types.js';
import type { Output } from '../output.js';

const DASHBOARD_STEPS = 'WhatsApp Verification → Verification Config → Edit → Webhook URL';

/**
 * The lines that go with a webhook URL: where it goes, and whether the dashboard needs a visit.
 * A URL that changed since the last run is said loudly (a warning, shown even with --quiet): the
 * dashboard still points at the old one, and saving the new one makes a new secret.
 */
export function webhookUrlAdvice(output: Output, webhookUrl: string, remembered?: RememberedUrlCheck): void {
  const c = output.c;
  if (remembered?.problem) output.warn(`The last webhook URL is not remembered: ${remembered.problem}. The run goes on.`);
  if (remembered?.change === 'changed') {
    output.warn(`The webhook URL CHANGED since the last run: SendTalk still delivers to the old one.`);
    output.warn(`  was: ${remembered.previousWebhookUrl}`);
    output.warn(`  now: ${c.bold(webhookUrl)}`);
    output.warn(`  In the SendTalk dashboard: ${DASHBOARD_STEPS} → paste the new URL → Save Changes.`);
    output.warn(`  Saving makes a NEW secret key: copy it into ${ENV_VARS.secret} (this run still checks the one it started with).`);
    return;
  }
  output.info(`  Webhook URL: ${c.bold(webhookUrl)}`);
  if (remembered?.change === 'same') {
    output.info(c.dim('  Same webhook URL as last time: the dashboard needs nothing.'));
    return;
  }
  const next = remembered ? ' Later runs get the same URL.' : '';
  output.info(c.dim(`  Set it once in the SendTalk dashboard: ${DASHBOARD_STEPS} → Save Changes, and put the secret it shows in ${ENV_VARS.secret}.${next}`));
}

/**
 * Shows a tunnel event to a person (stderr). `webhookUrl` is the current public webhook URL.
 * Events for `--debug` only go to the trace.
 */
export function showTunnelEvent(output: Output, event: TunnelEvent, webhookUrl: string | undefined, previousWebhookUrl?: string): void {
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
        output.warn(`The tunnel re-opened with a NEW URL: ${webhookUrl}`);
        output.info(`  Update the Webhook URL in the SendTalk dashboard (it was ${previousWebhookUrl}). --subdomain NAME asks for a stable one.`);
      } else {
        output.success(`The tunnel re-opened at the same URL: ${webhookUrl}`);
      }
      break;
    case 'error':
      output.trace(`tunnel: ${event.message}`);
      break;
    case 'request':
      output.trace(`tunnel: ${event.method} ${event.path}`);
      break;
  }
}
