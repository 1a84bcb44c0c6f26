import { ENV_VARS } from '../../config.js';
import { formatDuration } from '../../duration.js';
import type { CreateFlowEvent, CreateResult } from '../../flow/create-flow.js';
import { describeTally, SANDBOX_OTHER_SENDER } from '../../flow/wait-diagnosis.js';
import type { InspectorHandle } from '../../inspector/inspector.js';
import { keyValueRows } from '../../render/style.js';
import { code, githubActions, markdownTable } from '../github-actions.js';
import type { Output } from '../output.js';
import type { QrPanel } from './qr-panel.js';
import type { TunnelChoice } from '../tunnel-flags.js';
import { showTunnelEvent, tunnelStateLabel, webhookUrlAdvice } from './tunnel-view.js';
import { sentence } from '../../render/text.js';

/** How the view shows the QR code. */
export interface QrViewOptions {
  /** `yes`: draw it; `dumb-terminal`: say in one line why not (TERM=dumb); `no`: not asked for (SENDTALK_QR=never, --json, not a terminal). */
  draw: 'yes' | 'no' | 'dumb-terminal';
  /** The user's word on the terminal's background (SENDTALK_QR=dark|light); else it is found out. */
  background?: 'dark' | 'light';
  /** The user's word on the drawing (SENDTALK_QR=sextants|half-blocks); else it is found out. */
  glyphs?: 'sextants' | 'half-blocks';
  /** --qr-file */
  file?: string;
  page?: InspectorHandle;
  /** A waiting line will follow the code (not --no-wait). */
  waiting: boolean;
}

/** Draws the create flow's events: a block of facts on stdout, progress and QR on stderr. */
export class CreateView {
  private spinner?: { stop(): void; text: string };
  private ticker?: NodeJS.Timeout;
  private stopped = false;
  private pending: Promise<void> = Promise.resolve();
  private qrPanel?: QrPanel;
  /** The tunnel's state for the waiting line (`tunnel up`), when SendTalk reaches this run through one. */
  private tunnelLabel?: string;
  /** Redraws the waiting line now (a tunnel state change should not wait for the next second). */
  private refreshSpinner?: () => void;
  /** Which provider opened the public URL (`--tunnel auto` chooses), for the re-opening messages. */
  private provider?: string;

  constructor(
    private readonly output: Output,
    private readonly tunnel: TunnelChoice,
    private readonly sandbox: boolean,
    private readonly qr: QrViewOptions,
  ) {}

  onEvent(event: CreateFlowEvent): void {
    // Events arrive synchronously; drawing the QR code is async, so keep them in order.
    this.pending = this.pending.then(() => this.draw(event)).catch(() => {});
  }

  private async draw(event: CreateFlowEvent): Promise<void> {
    const { output } = this;
    const c = output.c;
    switch (event.type) {
      case 'sandbox':
        output.success(`Sandbox: embedded SendTalk emulator at ${event.apiUrl} (no key, no network)`);
        break;
      case 'listening':
        output.success(`Webhook listener on ${event.localUrl}`);
        this.provider = event.provider;
        if (event.public) this.tunnelLabel = 'tunnel up';
        if (event.public) webhookUrlAdvice(output, event.webhookUrl, this.tunnel, event);
        else if (this.tunnel.kind === 'none' && !this.sandbox) {
          output.warn('Local only (--tunnel none): SendTalk cannot reach this listener, so its webhook will not arrive here.');
          output.info(c.dim('  Drop --tunnel none, pass the URL of your own tunnel to --tunnel, or send the event yourself with trigger or curl.'));
        }
        break;
      case 'probe':
        if (event.result.ok) output.success(`The webhook URL reaches this listener (${formatDuration(event.result.ms)}).`);
        else {
          output.warn(`The webhook URL did not reach this listener: ${event.result.reason}.`);
          // Only a tunnel this run opened gets here: your own tunnel's URL that misses stops the flow first.
          output.info(
            c.dim('  SendTalk may not be able to deliver: try again, another localtunnel server (SENDTALK_TUNNEL_HOST), or your own tunnel with --tunnel URL.'),
          );
        }
        break;
      case 'created': {
        const v = event.verification;
        output.success('Verification created');
        output.result(
          keyValueRows([
            ['ID', v.id],
            ['Phone', v.phone],
            ['Link', v.link],
            ['Message', v.message],
            ['Expires', v.expiresAt],
          ]),
        );
        if (this.qr.file !== undefined) await this.writeQrFile(v.link, this.qr.file);
        output.info(c.dim(`  Open the link on the phone${this.qr.draw === 'yes' ? ' (or scan its QR code)' : ''} and send the message unchanged.`));
        await this.drawTerminalQr(v.link);
        break;
      }
      case 'waiting':
        if (event.ignoredExpiry) {
          const { expiresAt, why } = event.ignoredExpiry;
          // Above the QR code, which stays last, just over the waiting line.
          this.withSpinnerPaused(() => {
            this.output.warn(
              why === 'past'
                ? `SendTalk's answer says the verification expires at ${expiresAt}, which is already past (is this machine's clock right?): not used as the deadline.`
                : `SendTalk's answer says the verification expires at ${expiresAt}, more than 7 days away: not used as the deadline.`,
            );
            this.output.info(
              this.output.c.dim(`  Waiting ${event.until === 'timeout' ? 'until the time-out' : 'until --expiry'} instead; --timeout sets how long.`),
            );
          });
        }
        this.startWaiting(event.deadline, event.until);
        break;
      case 'delivery':
        this.onDelivery(event);
        break;
      case 'tunnel':
        if (event.event.type === 'state') {
          this.tunnelLabel = tunnelStateLabel(event.event);
          this.refreshSpinner?.();
        }
        // Through the same queue as the other events, so a tunnel warning never lands inside the QR block.
        this.withSpinnerPaused(() => showTunnelEvent(this.output, event.event, event.webhookUrl, event.previousWebhookUrl, this.provider));
        break;
    }
  }

  /**
   * The QR code last on stderr, just above the waiting line, or one line saying why not: a code
   * taller or wider than the window would scroll or wrap into noise.
   */
  private async drawTerminalQr(link: string): Promise<void> {
    const { output, qr } = this;
    const otherWays = qr.page ? ['scan it on the page', 'write it with --qr-file qr.png'] : ['use --open or --qr-file qr.png'];
    if (qr.draw === 'dumb-terminal') {
      output.info(`No QR code on this terminal (TERM=dumb): ${otherWays.join(', ')}, or draw it anyway with ${ENV_VARS.qr}=always.`);
      return;
    }
    if (qr.draw !== 'yes' || output.quiet) return;
    const colour = output.c.enabled;
    const { QrPanel } = await import('./qr-panel.js');
    const { qrGlyphsFor, terminalBackground } = await import('../terminal.js');
    this.qrPanel = await QrPanel.show(
      output,
      link,
      {
        colour,
        // Without colours the glyphs take the terminal's own: which of its colours is dark matters.
        background: colour ? 'dark' : await terminalBackground(qr.background),
        glyphs: qr.glyphs ? [qr.glyphs] : qrGlyphsFor(),
        linesBelow: qr.waiting ? 1 : 2,
        otherWays,
        live: output.interactive,
      },
      (redraw) => this.withSpinnerPaused(redraw, false),
    );
  }

  /** The path was checked before the verification was created; a write that still fails is reported, not fatal. */
  private async writeQrFile(link: string, path: string): Promise<void> {
    const { writeQrFile } = await import('../../render/qr-file.js');
    try {
      const written = await writeQrFile(path, link);
      this.output.success(`QR code written to ${written.path} (${written.format.toUpperCase()})`);
    } catch (error) {
      this.output.warn(`${(error as Error).message} The link above still works.`);
    }
  }

  private startWaiting(deadline: number, until: 'timeout' | 'expiry'): void {
    const what = until === 'expiry' ? 'expiry' : 'timeout';
    const label = (): string =>
      `Waiting for the verified webhook… ${formatDuration(Math.max(0, deadline - Date.now()))} until ${what}${this.tunnelLabel ? ` · ${this.tunnelLabel}` : ''}`;
    if (!this.output.interactive || this.output.quiet) {
      this.output.info(`Waiting for the verified webhook (${formatDuration(Math.max(0, deadline - Date.now()))} until ${what})…`);
      return;
    }
    void import('ora').then(({ default: ora }) => {
      if (this.stopped) return; // the result came before the spinner module loaded
      // ora colours its glyph by stdout's colour support; ours follow stderr's, and NO_COLOR.
      // Enabled as Output decided (a terminal that reports its width): ora would otherwise turn itself
      // off when CI is set, print a static line instead, and the QR code above it could no longer be
      // redrawn in place.
      this.spinner = ora({
        text: label(),
        stream: this.output.errorStream as NodeJS.WriteStream,
        discardStdin: false,
        isEnabled: true,
        color: this.output.c.enabled ? 'cyan' : false,
      }).start();
      this.refreshSpinner = () => {
        if (this.spinner) this.spinner.text = label();
      };
      this.ticker = setInterval(this.refreshSpinner, 1000);
      this.ticker.unref();
    });
  }

  private onDelivery(event: Extract<CreateFlowEvent, { type: 'delivery' }>): void {
    const d = event.delivery;
    if (d.accepted && event.matched !== false) return;
    const line = d.accepted
      ? `Received a delivery for another verification (${d.verificationId ?? d.phone ?? 'no id'}); still waiting.`
      : `Refused a delivery: ${d.method} ${d.path} → ${d.status} (${d.detail ?? d.reason}).`;
    this.withSpinnerPaused(() => this.output.warn(line));
    if (this.sandbox && !d.accepted) this.withSpinnerPaused(() => this.output.info(`  ${SANDBOX_OTHER_SENDER}`));
    else if (d.reason === 'secret-mismatch') {
      this.withSpinnerPaused(() => this.output.info(`  Is ${ENV_VARS.secret} the secret shown in the dashboard after saving Verification Config?`));
    }
  }

  /** Writes with the spinner cleared first and drawn again after, and above the QR code unless `aboveQr` is false. */
  private withSpinnerPaused(write: () => void, aboveQr = true): void {
    const spinner = this.spinner as { clear?: () => void; render?: () => void } | undefined;
    spinner?.clear?.();
    if (aboveQr && this.qrPanel) this.qrPanel.above(write);
    else write();
    spinner?.render?.();
  }

  stop(): void {
    this.stopped = true;
    this.qrPanel?.dispose();
    if (this.ticker) clearInterval(this.ticker);
    this.spinner?.stop();
    this.spinner = undefined;
  }

  /** On GitHub Actions: the result in the step summary, and an annotation when nothing was verified. */
  private summarise(result: CreateResult): void {
    const actions = githubActions(this.output);
    if (!actions) return;
    const v = result.verification;
    // The likeliest cause leads, as on the terminal.
    const why = result.diagnosis ? ` ${result.diagnosis.cause}. ${result.diagnosis.hint}` : '';
    const outcome = {
      verified: `✅ Verified in ${formatDuration(result.elapsedMs)} (matched by ${result.matchedBy}).`,
      created: '✅ Created (not waiting for the webhook: --no-wait).',
      'not-verified': `❌ The webhook said it was not verified: status "${result.eventStatus ?? ''}".`,
      timeout: `❌ No verified webhook within ${formatDuration(result.elapsedMs)}.${why}`,
      expired: `❌ The verification expired after ${formatDuration(result.elapsedMs)} without a verified webhook.${why}`,
    }[result.status];
    actions.summary(
      [
        `### sendtalk-verify create${result.sandbox ? ' --sandbox' : ''}`,
        '',
        markdownTable(
          ['', ''],
          [
            ['status', result.status],
            ['ID', code(v.id)],
            ['phone', v.phone],
            ['link', v.link],
            ...(v.expiresAt ? [['expires', v.expiresAt]] : []),
            ...(result.webhookUrl ? [['webhook URL', result.webhookUrl]] : []),
          ],
        ),
        '',
        outcome,
      ].join('\n'),
    );
    if (result.status !== 'verified' && result.status !== 'created') actions.error(outcome.replace(/^❌ /, ''), 'sendtalk-verify create');
  }

  /** Prints the result and returns the exit code. */
  async finish(result: CreateResult): Promise<number> {
    await this.pending;
    this.stop();
    const { output } = this;
    const v = result.verification;
    const { diagnosis } = result;
    if (output.json) {
      output.document({
        status: result.status,
        id: v.id,
        phone: v.phone,
        link: v.link,
        message: v.message ?? null,
        qr: v.qr ?? null,
        expiresAt: v.expiresAt ?? null,
        createdAt: result.createdAt,
        verifiedAt: result.verifiedAt ?? null,
        elapsedMs: result.elapsedMs,
        sandbox: result.sandbox,
        webhookUrl: result.webhookUrl ?? null,
        ...(result.tunnel ? { tunnel: result.tunnel } : {}),
        // null when nothing could be compared (no public URL); a first run is no change.
        webhookUrlChanged: result.remembered ? result.remembered.change === 'changed' : null,
        previousWebhookUrl: result.remembered?.previousWebhookUrl ?? null,
        matchedBy: result.matchedBy ?? null,
        eventStatus: result.eventStatus ?? null,
        webhook: result.webhook ?? null,
        deliveries: result.deliveries ?? null,
        ...(diagnosis ? { diagnosis } : {}),
        data: v.raw,
      });
    }
    this.summarise(result);
    switch (result.status) {
      case 'verified':
        output.result(`${output.resultColours.green('✔')} Verified ${v.phone} in ${formatDuration(result.elapsedMs)} (matched by ${result.matchedBy}).`);
        return 0;
      case 'created':
        output.info('Not waiting for the webhook (--no-wait).');
        return 0;
      case 'not-verified':
        output.error(
          `The webhook for ${v.id} says it was not verified: status "${result.eventStatus}".`,
          'SendTalk did not accept the message (changed, sent from another number, or too late): create a new verification and send its message unchanged.',
        );
        return 3;
      case 'timeout':
      case 'expired': {
        // The likeliest cause leads: what arrived says more than the time that passed.
        const ended =
          result.status === 'expired'
            ? `the verification expired after ${formatDuration(result.elapsedMs)} without a verified webhook`
            : `no verified webhook within ${formatDuration(result.elapsedMs)}`;
        const tally = result.deliveries && result.deliveries.received > 0 ? ` (${describeTally(result.deliveries)})` : '';
        // Two sentences: the cause, then how the wait ended (a cause may itself hold a colon).
        output.error(`${diagnosis ? `${diagnosis.cause}. ` : ''}${sentence(ended)}${tally}.`, diagnosis?.hint);
        return 3;
      }
    }
  }
}
