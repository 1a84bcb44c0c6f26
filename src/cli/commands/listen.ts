import type { Command } from 'commander';
import { loadConfigSources, pickSecret, ENV_VARS } from '../../config.js';
import { formatDuration, parseDuration } from '../../duration.js';
import { SendtalkVerifyError } from '../../errors.js';
import type { ListenFlowEvent, ListenResult } from '../../flow/listen-flow.js';
import { toLogRecord, type DeliveryLogRecord } from '../../webhook/delivery-log.js';
import { describeSecretHeaders, describeSecretLocation, secretHeadersFor } from '../../webhook/secret.js';
import type { JsonObject } from '../../fields.js';
import type { Delivery, RefusalReason } from '../../webhook/listener.js';
import type { ForwardResult } from '../../webhook/forward-delivery.js';
import { envHelp, examples, exitCodeHelp } from '../help.js';
import type { CommandRunner, RunContext } from '../main.js';
import { dotenvOption, dotenvPath, envFileOption } from '../dotenv-flag.js';
import { NdjsonOutput, type Output } from '../output.js';
import { INTERRUPTED_EXIT, interruptOnSignals, stopSignal, TERMINATED_SERVER_EXIT } from '../signals.js';
import { isSendtalkVerifyError } from '../../errors.js';
import { addListenerOptions, addTunnelOptions, resolveTunnel, showTunnelEvent, tunnelEnvHelp, webhookUrlAdvice, type TunnelChoice, type TunnelFlags } from '../tunnel-flags.js';
import { parsePort, parseWholeNumber, warnIfNotLoopback } from '../parse-flags.js';
import { addPageOptions, pageEnvHelp, startPage, type PageFlags } from '../page-flags.js';

interface ListenFlags extends TunnelFlags, PageFlags {
  host?: string;
  port?: string;
  path?: string;
  secret?: string;
  secretHeader?: string;
  timeout?: string;
  maxEvents?: string;
  forwardTo?: string;
  log?: string;
  logFsync?: boolean;
  json?: boolean;
  dotenv?: string;
  envFile?: string;
  debug?: boolean;
  quiet?: boolean;
}

export function registerListen(program: Command, runner: CommandRunner, ctx: RunContext): void {
  const command = program
    .command('listen')
    .description('run the webhook listener on its own, behind a tunnel, and show every delivery: test your dashboard configuration')
;
  addTunnelOptions(addListenerOptions(command), 'localtunnel')
    .option('--timeout <duration>', 'stop after this long: 30s, 2m, or seconds (default: until Ctrl-C)')
    .option('--max-events <n>', 'stop after this many accepted deliveries')
    .option('--forward-to <url>', 'pass each accepted delivery to your app (body unchanged, secret header set)')
    .option('--log <file>', 'append every delivery to this NDJSON file, written before it is acknowledged (input of trigger --replay)')
    .option('--log-fsync', 'with --log: make each record durable (fdatasync, one per batch) before acknowledging it: survives a power cut')
    .option('--json', 'NDJSON on stdout: a "ready" line, then one line per delivery and tunnel change')
    .addOption(dotenvOption())
    .addOption(envFileOption())
    .option('--debug', 'show tunnel traffic and stack traces (secrets stay masked)')
    .option('-q, --quiet', 'print only the deliveries');
  addPageOptions(command, 'every delivery (headers, body, verdict)')
    .addHelpText('after', examples([
      ['sendtalk-verify listen --subdomain acme-otp-dev', 'a public webhook URL that stays the same: set it once in Verification Config'],
      ['sendtalk-verify listen --port 8787 --public-url https://abc.ngrok.app --forward-to http://localhost:3000/webhooks/sendtalk', 'behind your own tunnel (ngrok http 8787), passing deliveries on to your app'],
      ['sendtalk-verify listen --tunnel none --port 8787 --max-events 1 --json --log deliveries.ndjson', 'local only, for CI: stop after the first accepted delivery'],
      ['sendtalk-verify listen --tunnel none --open', 'a live delivery inspector in the browser'],
    ]) + envHelp() + tunnelEnvHelp() + pageEnvHelp() + `
Ends with exit 0 after --max-events accepted deliveries, or at --timeout when at least one was
accepted (and --max-events was not given); 3 at --timeout otherwise; 130 on Ctrl-C or SIGHUP.
SIGTERM ends a listen with neither --max-events nor --timeout with 0 (it runs until stopped).
` + exitCodeHelp())
    .action((flags: ListenFlags) => runner(() => runListen(flags, ctx)));
}

async function runListen(flags: ListenFlags, ctx: RunContext): Promise<number> {
  const output = new NdjsonOutput({ json: flags.json, debug: flags.debug, quiet: flags.quiet });
  ctx.output = output;
  const sources = loadConfigSources({ envFile: dotenvPath(flags) });
  const secret = pickSecret(flags.secret, sources).value;
  output.protect(secret);
  const choice = resolveTunnel(flags, sources, 'localtunnel', output);
  const port = flags.port === undefined ? undefined : parsePort(flags.port);
  const timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout');
  const maxEvents = flags.maxEvents === undefined ? undefined : parseWholeNumber(flags.maxEvents, '--max-events', { min: 1, max: Number.MAX_SAFE_INTEGER }, 'Pass e.g. --max-events 1.');
  const { checkForwardUrl } = await import('../../webhook/forward-delivery.js');
  const forwardTo = flags.forwardTo === undefined ? undefined : checkForwardUrl(flags.forwardTo);
  if (flags.logFsync && !flags.log) {
    throw new SendtalkVerifyError('usage', '--log-fsync needs --log: there is no log file to sync.', { hint: 'Add --log deliveries.ndjson, or drop --log-fsync.' });
  }
  if (!secret) {
    output.warn(`No webhook secret: deliveries are accepted without checking ${describeSecretHeaders(secretHeadersFor(flags.secretHeader))}. Set ${ENV_VARS.secret} or --secret to check it too.`);
  }
  warnIfNotLoopback(output, flags.host, 'The webhook listener');

  // With no stop condition, listen runs until stopped: SIGTERM is its normal end (exit 0).
  const openEnded = maxEvents === undefined && timeoutMs === undefined;
  const view = new ListenView(output, choice, { maxEvents, timeoutMs, openEnded });
  const interrupt = interruptOnSignals(() => {}, undefined, (name) => {
    const what = [choice.kind === 'localtunnel' ? 'the tunnel' : '', 'the listener', flags.log ? 'the log' : ''].filter(Boolean);
    output.info(`Stopping (${name}): closing ${what.length > 1 ? `${what.slice(0, -1).join(', ')} and ${what.at(-1)}` : what[0]}… (Ctrl-C again quits at once)`);
  });
  const page = await startPage(flags, output, { mode: 'listen', secrets: [secret] });
  const { runListenFlow } = await import('../../flow/listen-flow.js');
  try {
    const result = await runListenFlow({
      host: flags.host,
      port,
      path: flags.path,
      secret,
      secretHeader: flags.secretHeader,
      tunnel: choice,
      maxEvents,
      timeoutMs,
      forwardTo,
      logPath: flags.log,
      logFsync: flags.logFsync,
      signal: interrupt.signal,
      onEvent: (event) => {
        view.onEvent(event);
        page?.feed(event);
      },
    });
    page?.end(result);
    return view.finish(result, maxEvents);
  } catch (error) {
    page?.fail((error as Error).message);
    // SIGTERM while the tunnel opens still stops a server that was asked to run until stopped.
    if (openEnded && stopSignal() === 'SIGTERM' && isSendtalkVerifyError(error) && error.category === 'interrupted') return TERMINATED_SERVER_EXIT;
    throw error;
  } finally {
    interrupt.dispose();
    await page?.close();
  }
}

/** Why a delivery was refused, in the words a person scanning the stream looks for. */
const REFUSAL_LABEL: Record<RefusalReason, string> = {
  'secret-missing': 'secret missing',
  'secret-mismatch': 'secret wrong',
  'not-json': 'not JSON',
  'not-object': 'not an object',
  'too-large': 'too large',
  'too-deep': 'nested too deeply',
  'too-many-headers': 'too many headers',
  'unsupported-media-type': 'not JSON',
  'method-not-allowed': 'wrong method',
  'not-found': 'wrong path',
  'acknowledge-failed': 'not recorded',
};

/** Draws the listen events: deliveries on stdout (text or NDJSON), everything else on stderr. */
class ListenView {
  private readonly hinted = new Set<string>();

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
          output.info(this.choice.kind === 'public-url'
            ? '  Check that your tunnel forwards to this listener\'s port and path; SendTalk cannot deliver until it does.'
            : '  SendTalk may not be able to deliver; try again, another --tunnel-host, or your own tunnel with --public-url.');
        }
        return;
      case 'waiting':
        return this.waiting();
      case 'tunnel':
        if (output.json) this.tunnelLine(event);
        return showTunnelEvent(output, event.event, event.webhookUrl, event.previousWebhookUrl);
      case 'delivery':
        return this.delivery(event.delivery, event.forward);
      case 'refusals-summary':
        for (const summary of event.summaries) {
          if (output.json) output.line({ type: 'refusals-summary', ...summary });
          else {
            const time = (iso: string): string => new Date(iso).toLocaleTimeString('en-GB', { hour12: false });
            output.result(`${time(summary.to)}  ${summary.suppressed} more refused (${REFUSAL_LABEL[summary.reason] ?? summary.reason}) since ${time(summary.from)}, not shown one by one`);
          }
        }
        return;
      case 'log-loose-mode':
        output.warn(`The log file ${event.path} can be read by others (mode ${event.mode.toString(8).padStart(4, '0')}) and it holds phone numbers and payloads.`);
        output.info(`  Make it private with: chmod 600 '${event.path.replace(/'/g, `'\\''`)}'`);
        return;
      case 'log-error':
        output.warn(`Could not write delivery #${event.delivery.seq} to the log: ${event.message}`);
        return;
    }
  }

  private ready(event: Extract<ListenFlowEvent, { type: 'ready' }>): void {
    const { output } = this;
    if (output.json) {
      output.document({
        type: 'ready',
        webhookUrl: event.webhookUrl,
        localUrl: event.localUrl,
        tunnel: this.choice.kind,
        ...(event.subdomain ? { subdomain: event.subdomain } : {}),
      });
    }
    output.success(`Webhook listener on ${event.localUrl}`);
    if (event.public) webhookUrlAdvice(output, event.webhookUrl, this.choice);
    else output.info(output.c.dim('  Local only (--tunnel none): SendTalk cannot reach it; use trigger, curl, or --public-url.'));
  }

  private waiting(): void {
    const until = [
      this.settings.maxEvents !== undefined ? `${this.settings.maxEvents} accepted` : '',
      this.settings.timeoutMs !== undefined ? `${formatDuration(this.settings.timeoutMs)} pass` : '',
    ].filter(Boolean).join(' or ');
    this.output.info(`Waiting for deliveries${until ? ` until ${until}` : ''} (Ctrl-C to stop)…`);
  }

  private tunnelLine(event: Extract<ListenFlowEvent, { type: 'tunnel' }>): void {
    const e = event.event;
    if (e.type === 'reopened') {
      this.output.document({ type: 'tunnel-reopened', webhookUrl: event.webhookUrl, previousWebhookUrl: event.previousWebhookUrl, changed: e.changed });
    } else if (e.type === 'down') {
      this.output.document({ type: 'tunnel-down', reason: e.reason, retryInMs: e.retryInMs });
    } else if (e.type === 'subdomain-replaced') {
      this.output.document({ type: 'tunnel-subdomain-replaced', requested: e.requested, assigned: e.assigned, webhookUrl: event.webhookUrl });
    }
  }

  private delivery(d: Delivery, forward: ForwardResult | undefined): void {
    const { output } = this;
    if (output.json) {
      // The same record as a --log line (so `listen --json > file` can be replayed), plus the parsed payload.
      const line: DeliveryLogRecord & { payload?: JsonObject; forward?: ForwardResult } = toLogRecord(d);
      if (d.payload) line.payload = d.payload;
      if (forward) line.forward = forward;
      output.line(line);
    } else {
      const time = new Date(d.receivedAt).toLocaleTimeString('en-GB', { hour12: false });
      const verdict = d.accepted ? 'accepted' : `refused: ${REFUSAL_LABEL[d.reason!] ?? d.reason}`;
      const facts = [d.verificationId ? `id ${d.verificationId}` : '', d.phone ? `phone ${d.phone}` : ''].filter(Boolean).join('  ');
      output.result(`${time}  ${d.method} ${d.path}  ${d.status} ${verdict}${facts ? `  ${facts}` : ''}`);
      if (!d.accepted && d.detail) output.result(`          ${d.detail}`);
      if (forward) {
        output.result('status' in forward
          ? `          → forwarded to ${forward.url}: ${forward.status} in ${formatDuration(forward.ms)}`
          : `          → could not forward to ${forward.url}: ${forward.error} (is your app running?)`);
      }
    }
    this.hintOnce(d);
  }

  /** One hint per kind of mistake: a stream of identical advice would bury the deliveries. */
  private hintOnce(d: Delivery): void {
    if (!d.reason || this.hinted.has(d.reason)) return;
    const hint: Partial<Record<RefusalReason, string>> = {
      'secret-mismatch': `Is ${ENV_VARS.secret} (or --secret) the key the dashboard shows after saving Verification Config?`,
      'secret-missing': d.secretLocation
        ? `${describeSecretLocation(d.secretLocation).replace(/^t/, 'T')}.`
        : 'Is the sender SendTalk, with a secret set in Verification Config? A sender using another header needs --secret-header.',
      'not-found': 'Check the path of the Webhook URL in the dashboard (or --path).',
    };
    const text = hint[d.reason];
    if (!text) return;
    this.hinted.add(d.reason);
    this.output.info(`  ${this.output.c.dim(text)}`);
  }

  /** Prints how listening ended and returns the exit code. */
  finish(result: ListenResult, maxEvents: number | undefined): number {
    const { output } = this;
    const exitCode = result.reason === 'interrupted' ? (this.settings.openEnded && stopSignal() === 'SIGTERM' ? TERMINATED_SERVER_EXIT : INTERRUPTED_EXIT)
      : result.reason === 'max-events' ? 0
      : result.accepted > 0 && maxEvents === undefined ? 0 : 3;
    // Why it ended short, from what did arrive: a refusal that names a misconfiguration comes first.
    const { diagnosis } = result;
    if (output.json) {
      output.document({
        type: 'done', reason: result.reason, accepted: result.accepted, refused: result.refused,
        refusedBy: result.deliveries.refusedBy, ...(diagnosis ? { diagnosis } : {}), exitCode,
      });
    }
    const counts = `${result.accepted} accepted, ${result.refused} refused`;
    if (exitCode === 3) {
      const within = formatDuration(this.settings.timeoutMs ?? 0);
      const short = result.accepted === 0 ? `no accepted delivery within ${within}` : `no more within ${within}`;
      output.error(`${diagnosis!.cause}: ${short} (${counts}).`, diagnosis!.hint);
    } else if (diagnosis) {
      output.info(`${result.reason === 'interrupted' ? 'Stopped' : 'Done'}: ${counts}. ${diagnosis.cause}.`);
      output.info(`  ${output.c.dim(diagnosis.hint)}`);
    } else {
      output.info(`${result.reason === 'interrupted' ? 'Stopped' : 'Done'}: ${counts}.`);
    }
    return exitCode;
  }
}
