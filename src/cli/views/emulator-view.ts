import { formatDuration } from '../../duration.js';
import type { EmulatorEvent, EmulatorHandle } from '../../emulator/emulator.js';
import type { EmulatorShape } from '../../emulator/shapes.js';
import { keyValueRows } from '../../render/style.js';
import type { Output } from '../output.js';

/** What the emulator was started with, for the ready line (never a secret). */
export interface EmulatorSettings {
  /** The path of SendTalk's create endpoint. */
  createPath: string;
  apiKeyRequired: boolean;
  webhookUrl?: string;
  secretHeader: string;
  secretSet: boolean;
  autoVerifyMs: number | false;
  latencyMs: number;
}

/** A row for a shape other than the default, so a test author sees what the emulator sends. */
function shapeRow(shape: Readonly<EmulatorShape>): Array<[string, string]> {
  const parts = [
    shape.responseAliases !== 0 ? `answer alias set ${shape.responseAliases}` : '',
    shape.responseNested ? 'answer nested in data.verification' : '',
    shape.webhook !== 'flat' ? `${shape.webhook} webhook` : '',
    shape.webhookStatus !== 'verified' ? `webhook status "${shape.webhookStatus}"` : '',
  ].filter(Boolean);
  return parts.length ? [['Shape', parts.join(', ')]] : [];
}

/** Draws the emulator's life: the ready line and one line per request and webhook attempt, on stdout. */
export class EmulatorView {
  /** Set once shutting down: deliveries cut short by the close are not news, and 'stopped' stays last. */
  private closed = false;

  constructor(private readonly output: Output) {}

  closing(): void {
    this.closed = true;
  }

  ready(emulator: EmulatorHandle, s: EmulatorSettings): void {
    const { output } = this;
    if (output.json) {
      output.document(
        {
          type: 'ready',
          url: emulator.url,
          createUrl: `${emulator.url}${s.createPath}`,
          controlUrl: `${emulator.url}/_emulator`,
          apiKeyRequired: s.apiKeyRequired,
          webhookUrl: s.webhookUrl ?? null,
          secretHeader: s.secretHeader,
          secretSet: s.secretSet,
          autoVerifyMs: s.autoVerifyMs === false ? null : s.autoVerifyMs,
          latencyMs: s.latencyMs,
          shape: emulator.shape,
        },
        false,
      );
      return;
    }
    output.result(`SendTalk emulator listening on ${emulator.url}`);
    const webhook = s.webhookUrl
      ? `${s.webhookUrl}, ${s.secretSet ? `${s.secretHeader} header set` : `no ${s.secretHeader} header (pass --secret)`}, ${s.autoVerifyMs === false ? 'on a control call' : `${formatDuration(s.autoVerifyMs)} after each create`}`
      : 'not delivered (pass --webhook-url)';
    output.info(
      keyValueRows([
        ['Create', `POST ${emulator.url}${s.createPath}`],
        ['API key', s.apiKeyRequired ? 'only the one given with --api-key' : 'any non-empty API-Key header (pass --api-key to require one)'],
        ['Webhook', webhook],
        ['Control', `${emulator.url}/_emulator (verifications, verify, webhooks, faults, shape)`],
        ...shapeRow(emulator.shape),
      ]),
    );
    output.info(output.c.dim('  Press Ctrl-C to stop (SIGTERM stops it with exit 0).'));
  }

  onEvent(event: EmulatorEvent): void {
    if (event.type === 'created' || this.closed) return; // a created verification shows in its request line
    const { output } = this;
    const at = new Date();
    if (output.json) {
      if (event.type === 'request') {
        const { type, ...rest } = event;
        output.document({ type, at: at.toISOString(), ...rest }, false);
      } else
        output.document(
          {
            type: 'webhook',
            at: at.toISOString(),
            verificationId: event.id,
            url: event.url,
            attempt: event.attempt.attempt,
            of: event.attempts,
            status: event.attempt.status ?? null,
            error: event.attempt.error ?? null,
            ms: event.attempt.ms,
            delivered: event.delivered,
            final: event.final,
          },
          false,
        );
      return;
    }
    const time = clock(at);
    if (event.type === 'request') {
      const answer = event.httpStatus === 0 ? 'no answer' : String(event.httpStatus);
      const envelope =
        event.envelopeStatus === undefined ? '' : event.envelopeStatus === 200 ? ' (status 200)' : ` (status ${event.envelopeStatus}: ${event.error ?? ''})`;
      const extra = [
        event.verificationId && `created ${event.verificationId}`,
        event.fault && `fault: ${event.fault}`,
        event.envelopeStatus === undefined && event.error,
      ]
        .filter(Boolean)
        .join(', ');
      output.result(`${time}  ${event.method} ${event.path} → ${answer}${envelope}  ${formatDuration(event.ms)}${extra ? `  ${extra}` : ''}`);
      return;
    }
    const a = event.attempt;
    const outcome = event.delivered ? 'delivered' : event.final ? 'gave up' : 'will retry';
    output.result(
      `${time}  webhook ${event.id} → ${event.url}  ${a.status ?? a.error}  ${formatDuration(a.ms)}  attempt ${a.attempt}/${event.attempts}, ${outcome}`,
    );
  }

  stopped(reason: unknown): void {
    const why = reason instanceof Error ? reason.message : 'Interrupted.';
    if (this.output.json) this.output.document({ type: 'stopped', reason: why }, false);
    this.output.info(`${why} The emulator is closed.`);
  }
}

function clock(date: Date): string {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}
