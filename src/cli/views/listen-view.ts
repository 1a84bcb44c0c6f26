import { ENV_VARS } from '../../config.js';
import { formatDuration } from '../../duration.js';
import type { JsonObject } from '../../fields.js';
import type { ListenFlowEvent, ListenResult } from '../../flow/listen-flow.js';
import { recordParts, type ListenerFacts, type SenderFields } from '../../webhook/delivery-log.js';
import type { ForwardResult } from '../../webhook/forward-delivery.js';
import type { Delivery, RefusalReason } from '../../webhook/listener.js';
import { describeSecretLocation } from '../../webhook/secret.js';
import type { Output } from '../output.js';
import { INTERRUPTED_EXIT, stopSignal, TERMINATED_SERVER_EXIT } from '../signals.js';
import type { TunnelChoice } from '../tunnel-flags.js';
import { showTunnelEvent, webhookUrlAdvice } from './tunnel-view.js';
import { sentence } from '../../render/text.js';
import { REFUSAL_LABEL } from '../../webhook/delivery.js';
import { REMINDER_PAGE } from '../../tunnel/reminder-page.js';

/** One line: why a browser-like User-Agent matters behind localtunnel (see src/tunnel/reminder-page.ts). */
export const BROWSER_UA_WARNING = `This sender's User-Agent looks like a browser's: ${REMINDER_PAGE} answers such senders instead of passing them on unless they send bypass-tunnel-reminder; if deliveries stop, use another tunnel: --tunnel cloudflared, or your own with --tunnel URL.`;

/** Draws the listen events: deliveries on stdout (text or NDJSON), everything else on stderr. */
export class ListenView {
  private readonly hinted = new Set<string>();
  /** Which provider opened the public URL (`--tunnel auto` chooses), for the re-opening messages. */
  private provider?: string;

  constructor(
    private readonly output: Output,
    private readonly choice: TunnelChoice,
    private readonly settings: { maxEvents?: number; timeoutMs?: number; openEnded: boolean },
  ) {}

  onEvent(event: ListenFlowEvent): void {
    const { output } = this;
    switch (event.type) {
      case 'ready':
        return this.ready(event);
      case 'probe':
        if (output.json) output.document({ type: 'probe', webhookUrl: event.webhookUrl, ...event.result });
        if (event.result.ok) output.success(`The public URL reaches this listener (${formatDuration(event.result.ms)}).`);
        else {
          output.warn(`The public URL did not reach this listener: ${event.result.reason}.`);
          output.info(
            this.choice.kind === 'public-url'
              ? "  Check that your tunnel forwards to this listener's port and path; SendTalk cannot deliver until it does."
              : '  SendTalk may not be able to deliver; try again, another localtunnel server (SENDTALK_TUNNEL_HOST), or your own tunnel with --tunnel URL.',
          );
        }
        return;
      case 'waiting':
        return this.waiting();
      case 'tunnel':
        if (output.json) this.tunnelLine(event);
        return showTunnelEvent(output, event.event, event.webhookUrl, event.previousWebhookUrl, this.provider);
      case 'delivery':
        return this.delivery(event.delivery, event.forward, event.browserThroughLocaltunnel);
      case 'refusals-summary':
        for (const summary of event.summaries) {
          if (output.json) output.line({ type: 'refusals-summary', ...summary });
          else {
            const time = (iso: string): string => new Date(iso).toLocaleTimeString('en-GB', { hour12: false });
            output.result(
              `${time(summary.to)}  ${summary.suppressed} more refused (${REFUSAL_LABEL[summary.reason] ?? summary.reason}) since ${time(summary.from)}, not shown one by one`,
            );
          }
        }
        return;
      case 'log-loose-mode':
        output.warn(
          `The log file ${event.path} can be read by others (mode ${event.mode.toString(8).padStart(4, '0')}) and it holds phone numbers and payloads.`,
        );
        output.info(`  Make it private with: chmod 600 '${event.path.replace(/'/g, `'\\''`)}'`);
        return;
      case 'log-error':
        output.warn(`Could not write delivery #${event.delivery.seq} to the log: ${event.message}`);
        return;
    }
  }

  private ready(event: Extract<ListenFlowEvent, { type: 'ready' }>): void {
    const { output } = this;
    this.provider = event.provider;
    if (output.json) {
      output.document({
        type: 'ready',
        webhookUrl: event.webhookUrl,
        localUrl: event.localUrl,
        tunnel: event.provider ?? this.choice.kind,
        ...(event.subdomain ? { subdomain: event.subdomain } : {}),
        ...(event.remembered
          ? { webhookUrlChanged: event.remembered.change === 'changed', previousWebhookUrl: event.remembered.previousWebhookUrl ?? null }
          : {}),
      });
    }
    output.success(`Webhook listener on ${event.localUrl}`);
    if (event.public) webhookUrlAdvice(output, event.webhookUrl, this.choice, event);
    else output.info(output.c.dim('  Local only (--tunnel none): SendTalk cannot reach it; use trigger, curl, or your own tunnel with --tunnel URL.'));
  }

  private waiting(): void {
    const until = [
      this.settings.maxEvents !== undefined ? `${this.settings.maxEvents} accepted` : '',
      this.settings.timeoutMs !== undefined ? `${formatDuration(this.settings.timeoutMs)} pass` : '',
    ]
      .filter(Boolean)
      .join(' or ');
    this.output.info(`Waiting for deliveries${until ? ` until ${until}` : ''} (Ctrl-C to stop)…`);
  }

  private tunnelLine(event: Extract<ListenFlowEvent, { type: 'tunnel' }>): void {
    const e = event.event;
    if (e.type === 'reopened') {
      this.output.document({ type: 'tunnel-reopened', webhookUrl: event.webhookUrl, previousWebhookUrl: event.previousWebhookUrl, changed: e.changed });
    } else if (e.type === 'down') {
      this.output.document({ type: 'tunnel-down', reason: e.reason, retryInMs: e.retryInMs });
    } else if (e.type === 'state' && e.state !== 'checking' && !(e.state === 'up' && e.previous === 'checking')) {
      // A change worth a line: not the routine check every 25 s that finds the tunnel up.
      this.output.document({ type: 'tunnel-state', state: e.state, ...(e.reason ? { reason: e.reason } : {}), webhookUrl: event.webhookUrl });
    } else if (e.type === 'subdomain-replaced') {
      this.output.document({ type: 'tunnel-subdomain-replaced', requested: e.requested, assigned: e.assigned, webhookUrl: event.webhookUrl });
    }
  }

  private delivery(d: Delivery, forward: ForwardResult | undefined, browserThroughLocaltunnel: boolean | undefined): void {
    const { output } = this;
    if (output.json) {
      // The same record as a --log line (so `listen --json > file` can be replayed), plus the parsed
      // payload. A secret inside the body cannot be found in its base64, which shifts with its
      // place: the body is masked before it is encoded, and says so. Only the --log file keeps it
      // byte-exact.
      const body = d.body.toString('utf8');
      const maskedBody = output.maskSecrets(body);
      const bodyMasked = maskedBody !== body;
      const [own, sender]: [ListenerFacts & { bodyMasked?: true; warning?: string }, SenderFields & { payload?: JsonObject; forward?: ForwardResult }] =
        recordParts(d, bodyMasked ? Buffer.from(maskedBody, 'utf8').toString('base64') : undefined);
      if (bodyMasked) own.bodyMasked = true;
      if (browserThroughLocaltunnel) own.warning = BROWSER_UA_WARNING;
      if (d.payload) sender.payload = d.payload;
      if (forward) sender.forward = forward;
      output.recordLine(own, sender);
    } else {
      const time = new Date(d.receivedAt).toLocaleTimeString('en-GB', { hour12: false });
      const verdict = d.accepted ? 'accepted' : `refused: ${REFUSAL_LABEL[d.reason!] ?? d.reason}`;
      const facts = [d.verificationId ? `id ${d.verificationId}` : '', d.phone ? `phone ${d.phone}` : ''].filter(Boolean).join('  ');
      const ua = d.headers['user-agent'];
      output.result(
        `${time}  ${d.method} ${d.path}  ${d.status} ${verdict}${facts ? `  ${facts}` : ''}  User-Agent: ${ua === undefined ? '(none)' : `"${ua.length > 100 ? `${ua.slice(0, 100)}…` : ua}"`}`,
      );
      if (!d.accepted && d.detail) output.result(`          ${d.detail}`);
      if (forward) {
        output.result(
          'status' in forward
            ? `          → forwarded to ${forward.url}: ${forward.status} in ${formatDuration(forward.ms)}`
            : `          → could not forward to ${forward.url}: ${forward.error} (is your app running?)`,
        );
      }
    }
    if (browserThroughLocaltunnel) output.warn(BROWSER_UA_WARNING);
    this.hintOnce(d);
  }

  /** One hint per kind of mistake: a stream of identical advice would bury the deliveries. */
  private hintOnce(d: Delivery): void {
    if (!d.reason || this.hinted.has(d.reason)) return;
    const hint: Partial<Record<RefusalReason, string>> = {
      'secret-mismatch': `Is ${ENV_VARS.secret} (or --secret) the key the dashboard shows after saving Verification Config?`,
      'secret-missing': d.secretLocation
        ? `${describeSecretLocation(d.secretLocation).replace(/^t/, 'T')}.`
        : 'Is the sender SendTalk, with a secret set in Verification Config? A sender using another header needs SENDTALK_SECRET_HEADER.',
      'not-found': 'Check the path of the Webhook URL in the dashboard (or SENDTALK_WEBHOOK_PATH).',
    };
    const text = hint[d.reason];
    if (!text) return;
    this.hinted.add(d.reason);
    this.output.info(`  ${this.output.c.dim(text)}`);
  }

  /** Prints how listening ended and returns the exit code. */
  finish(result: ListenResult, maxEvents: number | undefined): number {
    const { output } = this;
    const exitCode =
      result.reason === 'interrupted'
        ? this.settings.openEnded && stopSignal() === 'SIGTERM'
          ? TERMINATED_SERVER_EXIT
          : INTERRUPTED_EXIT
        : result.reason === 'max-events'
          ? 0
          : result.accepted > 0 && maxEvents === undefined
            ? 0
            : 3;
    // Why it ended short, from what did arrive: a refusal that names a misconfiguration comes first.
    const { diagnosis } = result;
    if (output.json) {
      output.document({
        type: 'done',
        reason: result.reason,
        accepted: result.accepted,
        refused: result.refused,
        refusedBy: result.deliveries.refusedBy,
        ...(diagnosis ? { diagnosis } : {}),
        exitCode,
      });
    }
    const counts = `${result.accepted} accepted, ${result.refused} refused`;
    if (exitCode === 3) {
      const within = formatDuration(this.settings.timeoutMs ?? 0);
      const short = result.accepted === 0 ? `no accepted delivery within ${within}` : `no more within ${within}`;
      output.error(`${diagnosis!.cause}. ${sentence(short)} (${counts}).`, diagnosis!.hint);
    } else if (diagnosis) {
      output.info(`${result.reason === 'interrupted' ? 'Stopped' : 'Done'}: ${counts}. ${diagnosis.cause}.`);
      output.info(`  ${output.c.dim(diagnosis.hint)}`);
    } else {
      output.info(`${result.reason === 'interrupted' ? 'Stopped' : 'Done'}: ${counts}.`);
    }
    return exitCode;
  }
}
