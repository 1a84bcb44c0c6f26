import { Command, Option } from 'commander';
import { ENV_VARS } from '../../config.js';
import { formatDuration } from '../../duration.js';
import type { CreateFlowEvent, CreateResult } from '../../flow/create-flow.js';
import { keyValueRows } from '../../render/style.js';
import { describeTally } from '../../flow/wait-diagnosis.js';
import { envHelp, examples, exitCodeHelp } from '../help.js';
import type { CommandRunner, RunContext } from '../main.js';
import { code, githubActions, markdownTable } from '../github-actions.js';
import { dotenvOption, envFileOption } from '../dotenv-flag.js';
import { Output } from '../output.js';
import { interruptOnSignals } from '../signals.js';
import { addListenerOptions, addTunnelOptions, showTunnelEvent, tunnelEnvHelp, webhookUrlAdvice, type TunnelChoice, type TunnelFlags } from '../tunnel-flags.js';
import { addPageOptions, pageEnvHelp, startPage, type PageFlags } from '../page-flags.js';
import type { InspectorHandle } from '../../inspector/inspector.js';
import { resolveCreateConfig } from '../create-config.js';
import { languageOption } from '../parse-flags.js';


interface CreateFlags extends TunnelFlags, PageFlags {
  phone?: string;
  language?: string;
  expiry?: string;
  appUrl?: string;
  apiKey?: string;
  apiUrl?: string;
  apiTimeout?: string;
  secret?: string;
  secretHeader?: string;
  host?: string;
  port?: string;
  path?: string;
  timeout?: string;
  wait: boolean;
  json?: boolean;
  qr?: boolean;
  qrFile?: string;
  qrBackground?: 'dark' | 'light';
  sandbox?: boolean;
  sandboxDelay?: string;
  dotenv?: string;
  envFile?: string;
  debug?: boolean;
  quiet?: boolean;
}

export function registerCreate(program: Command, runner: CommandRunner, ctx: RunContext): void {
  const command = program
    .command('create')
    .description('create a WhatsApp verification, show its link and QR code, and wait for the verified webhook')
    .option('-p, --phone <number>', 'phone number with country code, e.g. 6281234567890 or "+62 812-3456-7890"')
    .addOption(languageOption('language of the WhatsApp message (default: en)'))
    .option('--expiry <minutes>', 'minutes until the verification expires, 1-1440 (SendTalk default when omitted)')
    .option('--app-url <url>', 'a link SendTalk puts in the message, back to your app')
    .option('--api-key <key>', `SendTalk API key (env ${ENV_VARS.apiKey})`)
    .option('--api-url <url>', `SendTalk API base URL (env ${ENV_VARS.apiUrl}, default https://sendtalk-api.taptalk.io)`)
    .option('--api-timeout <duration>', 'give up on the API call after this long, retries included (default: 25s)')
;
  addTunnelOptions(addListenerOptions(command), 'localtunnel; never with --sandbox')
    .option('--timeout <duration>', 'give up waiting after this long: 30s, 2m, or seconds (default: the expiry)')
    .option('--no-wait', 'create the verification and exit without waiting for the webhook')
    .option('--json', 'print one JSON document on stdout and nothing else there')
    .option('--qr', 'draw the QR code even when not on a terminal')
    .option('--no-qr', 'do not draw the QR code')
    .option('--qr-file <path>', 'also write the QR code to this file: SVG, or PNG when the name ends in .png')
    .addOption(new Option('--qr-background <shade>', 'your terminal\'s background, for the QR code drawn without colours (NO_COLOR): dark or light (default: dark)').choices(['dark', 'light']))
    .option('--sandbox', 'run everything against the embedded emulator: no key, no network, no phone')
    .option('--sandbox-delay <duration>', 'sandbox: delay before the emulator delivers the verified webhook (default: 2s)')
    .addOption(dotenvOption())
    .addOption(envFileOption())
    .option('--debug', 'show HTTP traces and stack traces (secrets stay masked)')
    .option('-q, --quiet', 'print only the result');
  addPageOptions(command, 'the QR code, the countdown and every delivery')
    .addHelpText('after', examples([
      ['sendtalk-verify create --sandbox', 'the whole flow offline, against the embedded emulator'],
      ['sendtalk-verify create --phone 6281234567890 --subdomain acme-otp-dev', 'real use through localtunnel: set https://acme-otp-dev.loca.lt/webhook once as the Webhook URL in the dashboard'],
      ['sendtalk-verify create --phone 6281234567890 --port 8787 --public-url https://abc.ngrok.app', 'behind your own tunnel (ngrok http 8787): set https://abc.ngrok.app/webhook as the Webhook URL'],
      ['sendtalk-verify create --phone 6281234567890 --no-wait --json', 'create only, for scripts and CI'],
      ['sendtalk-verify create --sandbox --open', 'the flow on a local page in the browser: QR code, countdown, deliveries'],
    ]) + envHelp() + tunnelEnvHelp() + pageEnvHelp() + exitCodeHelp())
    .action((flags: CreateFlags) => runner(() => runCreate(flags, ctx)));
}

async function runCreate(flags: CreateFlags, ctx: RunContext): Promise<number> {
  const output = new Output({ json: flags.json, debug: flags.debug, quiet: flags.quiet });
  ctx.output = output;
  const config = await resolveCreateConfig(flags, output);
  const { sandbox } = config;
  const showQr = flags.qr ?? output.interactive;
  const page = await startPage(flags, output, { mode: 'create', secrets: [config.apiKey, config.secret] });
  const view = new CreateView(output, showQr && !output.json, config.tunnel, sandbox, {
    colour: output.c.enabled,
    background: flags.qrBackground,
    file: flags.qrFile,
    page,
  });
  const interrupt = interruptOnSignals(() => view.stop(), undefined, (name) => {
    view.stop();
    output.info(`Stopping (${name}): closing the listener${sandbox ? ' and the emulator' : ''}… (Ctrl-C again quits at once)`);
  });
  const { runCheckedCreateFlow } = await import('../../flow/create-flow.js');
  try {
    const result = await runCheckedCreateFlow({
      ...config,
      signal: interrupt.signal,
      onEvent: (event) => {
        view.onEvent(event);
        // The page shows the flow; tunnel changes are the terminal's to report.
        if (event.type !== 'tunnel') page?.feed(event);
      },
      onTrace: (line) => output.trace(line),
    });
    view.stop();
    page?.end(result);
    return await view.finish(result);
  } catch (error) {
    page?.fail((error as Error).message);
    throw error;
  } finally {
    view.stop();
    interrupt.dispose();
    await page?.close();
  }
}

/**
 * The terminal's size for the QR code: the stream's own, else COLUMNS and LINES (which a shell
 * exports, and which tests and `script` set when stderr is not a terminal); unknown means no limit.
 */
function terminalSize(stream: NodeJS.WritableStream): { columns?: number; rows?: number } {
  const tty = stream as { columns?: number; rows?: number };
  const fromEnv = (name: string): number | undefined => {
    const value = Number(process.env[name]);
    return Number.isInteger(value) && value > 0 ? value : undefined;
  };
  return { columns: tty.columns || fromEnv('COLUMNS'), rows: tty.rows || fromEnv('LINES') };
}

/** Draws the create flow's events: a block of facts on stdout, progress and QR on stderr. */
class CreateView {
  private spinner?: { stop(): void; text: string };
  private ticker?: NodeJS.Timeout;
  private stopped = false;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly output: Output,
    private readonly drawQr: boolean,
    private readonly tunnel: TunnelChoice,
    private readonly sandbox: boolean,
    private readonly qr: { colour: boolean; background?: 'dark' | 'light'; file?: string; page?: InspectorHandle },
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
        if (event.public) webhookUrlAdvice(output, event.webhookUrl, this.tunnel);
        else if (this.tunnel.kind === 'none' && !this.sandbox) {
          output.warn('Local only (--tunnel none): SendTalk cannot reach this listener, so its webhook will not arrive here.');
          output.info(c.dim('  Drop --tunnel none, pass --public-url, or send the event yourself with trigger or curl.'));
        }
        break;
      case 'probe':
        if (event.result.ok) output.success(`The webhook URL reaches this listener (${formatDuration(event.result.ms)}).`);
        else {
          output.warn(`The webhook URL did not reach this listener: ${event.result.reason}.`);
          output.info(c.dim(this.tunnel.kind === 'public-url'
            ? '  SendTalk cannot deliver until it does: check that your tunnel forwards to this listener\'s port and path.'
            : '  SendTalk may not be able to deliver: try again, another --tunnel-host, or your own tunnel with --public-url.'));
        }
        break;
      case 'created': {
        const v = event.verification;
        output.success('Verification created');
        output.result(keyValueRows([['ID', v.id], ['Phone', v.phone], ['Link', v.link], ['Message', v.message], ['Expires', v.expiresAt]]));
        const drawn = this.drawQr && await this.drawTerminalQr(v.link);
        if (this.qr.file !== undefined) await this.writeQrFile(v.link, this.qr.file);
        output.info(c.dim(`  Open the link on the phone${drawn ? ' (or scan the QR code)' : ''} and send the message unchanged.`));
        break;
      }
      case 'waiting':
        if (event.ignoredExpiry) {
          const { expiresAt, why } = event.ignoredExpiry;
          this.output.warn(why === 'past'
            ? `SendTalk's answer says the verification expires at ${expiresAt}, which is already past (is this machine's clock right?): not used as the deadline.`
            : `SendTalk's answer says the verification expires at ${expiresAt}, more than 7 days away: not used as the deadline.`);
          this.output.info(this.output.c.dim(`  Waiting ${event.until === 'timeout' ? 'until the time-out' : 'until --expiry'} instead; --timeout sets how long.`));
        }
        this.startWaiting(event.deadline, event.until);
        break;
      case 'delivery':
        this.onDelivery(event);
        break;
      case 'tunnel':
        // Through the same queue as the other events, so a tunnel warning never lands inside the QR block.
        this.withSpinnerPaused(() => showTunnelEvent(this.output, event.event, event.webhookUrl, event.previousWebhookUrl));
        break;
    }
  }

  /** The QR code on stderr, or one line saying why not: a code wider than the terminal would wrap into noise. */
  /** Returns whether it was drawn. */
  private async drawTerminalQr(link: string): Promise<boolean> {
    const { renderTerminalQr } = await import('../../render/qr.js');
    const size = terminalSize(this.output.errorStream);
    const qr = await renderTerminalQr(link, { colour: this.qr.colour, background: this.qr.background, ...size });
    if (qr.fits) this.output.art(qr.art);
    else {
      const elsewhere = this.qr.page ? 'scan it on the page above' : 'use --open to see it on a page';
      this.output.warn(`The QR code needs ${qr.needed} columns and this terminal has ${qr.columns}: widen it, ${elsewhere}, or write it with --qr-file qr.png.`);
    }
    return qr.fits;
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
    const label = (): string => `Waiting for the verified webhook… ${formatDuration(Math.max(0, deadline - Date.now()))} until ${what}`;
    if (!this.output.interactive || this.output.quiet) {
      this.output.info(`Waiting for the verified webhook (${formatDuration(Math.max(0, deadline - Date.now()))} until ${what})…`);
      return;
    }
    void import('ora').then(({ default: ora }) => {
      if (this.stopped) return; // the result came before the spinner module loaded
      // ora colours its glyph by stdout's colour support; ours follow stderr's, and NO_COLOR.
      this.spinner = ora({ text: label(), stream: this.output.errorStream as NodeJS.WriteStream, discardStdin: false, color: this.output.c.enabled ? 'cyan' : false }).start();
      this.ticker = setInterval(() => { if (this.spinner) this.spinner.text = label(); }, 1000);
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
    if (d.reason === 'secret-mismatch') {
      this.withSpinnerPaused(() => this.output.info(`  Is ${ENV_VARS.secret} the secret shown in the dashboard after saving Verification Config?`));
    }
  }

  private withSpinnerPaused(write: () => void): void {
    const spinner = this.spinner as { clear?: () => void; render?: () => void } | undefined;
    spinner?.clear?.();
    write();
    spinner?.render?.();
  }

  stop(): void {
    this.stopped = true;
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
    actions.summary([
      `### sendtalk-verify create${result.sandbox ? ' --sandbox' : ''}`,
      '',
      markdownTable(['', ''], [
        ['status', result.status],
        ['ID', code(v.id)],
        ['phone', v.phone],
        ['link', v.link],
        ...(v.expiresAt ? [['expires', v.expiresAt]] : []),
        ...(result.webhookUrl ? [['webhook URL', result.webhookUrl]] : []),
      ]),
      '',
      outcome,
    ].join('\n'));
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
        output.result(`${output.c.green('✔')} Verified ${v.phone} in ${formatDuration(result.elapsedMs)} (matched by ${result.matchedBy}).`);
        return 0;
      case 'created':
        output.info('Not waiting for the webhook (--no-wait).');
        return 0;
      case 'not-verified':
        output.error(`The webhook for ${v.id} says it was not verified: status "${result.eventStatus}".`,
          'SendTalk did not accept the message (changed, sent from another number, or too late): create a new verification and send its message unchanged.');
        return 3;
      case 'timeout':
      case 'expired': {
        // The likeliest cause leads: what arrived says more than the time that passed.
        const ended = result.status === 'expired'
          ? `the verification expired after ${formatDuration(result.elapsedMs)} without a verified webhook`
          : `no verified webhook within ${formatDuration(result.elapsedMs)}`;
        const tally = result.deliveries && result.deliveries.received > 0 ? ` (${describeTally(result.deliveries)})` : '';
        output.error(diagnosis ? `${diagnosis.cause}: ${ended}${tally}.` : `${ended[0]!.toUpperCase()}${ended.slice(1)}.`, diagnosis?.hint);
        return 3;
      }
    }
  }
}
