import type { Command } from 'commander';
import { ENV_VARS } from '../../config.js';
import { parseTimeout } from '../../duration.js';
import { describeSecretHeaders, secretHeadersFor } from '../../webhook/secret.js';
import {
  addOutputOptions,
  envHelp,
  examples,
  exitCodeHelp,
  parsePort,
  parseWholeNumber,
  pathOption,
  PROGRAM_OPTIONS_NOTE,
  warnIfNotLoopback,
  type OutputFlags,
  type SecretFlags,
} from '../flags.js';
import { startCommand, type CommandRunner, type RunContext } from '../start-command.js';
import { interruptOnSignals, stopSignal, TERMINATED_SERVER_EXIT } from '../signals.js';
import { isSendtalkVerifyError } from '../../errors.js';
import {
  addListenerOptions,
  addTunnelOption,
  listenerEnvRows,
  listenerSettings,
  resolveTunnel,
  tunnelEnvRows,
  webhookUrlMemory,
  type TunnelFlags,
} from '../tunnel-flags.js';
import { urlIdentity } from '../../tunnel/remembered-url.js';
import { addPageOption, PAGE_ENV_ROW, startPage, type PageFlags } from '../page-flags.js';
import { envSwitch } from '../config-values.js';

interface ListenFlags extends TunnelFlags, PageFlags, OutputFlags, SecretFlags {
  port?: string;
  timeout?: string;
  maxEvents?: string;
  forwardTo?: string;
  log?: string;
}

export function registerListen(program: Command, runner: CommandRunner, ctx: RunContext): void {
  const command = program
    .command('listen')
    .description('run the webhook listener on its own, behind a tunnel, and show every delivery: test your dashboard configuration');
  addTunnelOption(addListenerOptions(command), 'auto with an API key, else localtunnel')
    .option('--timeout <duration>', 'stop after this long: 30s, 2m, or seconds (default: until Ctrl-C)')
    .option('--max-events <n>', 'stop after this many accepted deliveries')
    .option('--forward-to <url>', 'pass each accepted delivery to your app (body unchanged, secret header set)')
    .addOption(pathOption('--log <file>', 'append every delivery to this NDJSON file, written before it is acknowledged (input of trigger --replay)'));
  addPageOption(command, 'every delivery (headers, body, verdict)');
  addOutputOptions(command, {
    json: 'NDJSON on stdout: a "ready" line, then one line per delivery and tunnel change',
    quiet: 'print only the deliveries',
  })
    .addHelpText(
      'after',
      PROGRAM_OPTIONS_NOTE +
        examples([
          ['sendtalk-verify listen', 'the public webhook URL create uses (named after SENDTALK_API_KEY, never sent): test it in Verification Config'],
          [
            'sendtalk-verify listen --port 8787 --tunnel https://abc.ngrok.app --forward-to http://localhost:3000/webhooks/sendtalk',
            'behind your own tunnel (ngrok http 8787), passing deliveries on to your app',
          ],
          [
            'sendtalk-verify listen --tunnel none --port 8787 --max-events 1 --json --log deliveries.ndjson',
            'local only, for CI: stop after the first accepted delivery',
          ],
          ['sendtalk-verify listen --tunnel none --open', 'a live delivery inspector in the browser'],
        ]) +
        envHelp([
          ...listenerEnvRows(),
          [ENV_VARS.logFsync, '1: with --log, make each record durable (fdatasync) before acknowledging it'],
          ...tunnelEnvRows(),
          PAGE_ENV_ROW,
        ]) +
        `
Ends with exit 0 after --max-events accepted deliveries, or at --timeout when at least one was
accepted (and --max-events was not given); 3 at --timeout otherwise; 130 on Ctrl-C or SIGHUP.
SIGTERM ends a listen with neither --max-events nor --timeout with 0 (it runs until stopped).
` +
        exitCodeHelp(),
    )
    .action((_flags: ListenFlags, cmd: Command) => runner(() => runListen(cmd.optsWithGlobals<ListenFlags>(), ctx)));
}

async function runListen(flags: ListenFlags, ctx: RunContext): Promise<number> {
  // The key names the tunnel (never sent anywhere), so listen and create share one webhook URL.
  const start = startCommand(flags, ctx, { ndjson: true, apiKeyFromEnv: true });
  const { output, sources } = start;
  const secret = start.secret.value;
  const identity = urlIdentity(start.apiKey.value);
  // As `create`: auto (localtunnel, then cloudflared) where a key says this is a real set-up.
  const choice = resolveTunnel(flags, sources, start.apiKey.value ? 'auto' : 'localtunnel', identity);
  const listener = listenerSettings(sources);
  // Without --log there is nothing to sync: the setting, which may sit in .env for every run, is moot.
  const logFsync = envSwitch(ENV_VARS.logFsync, sources);
  const port = flags.port === undefined ? undefined : parsePort(flags.port);
  const timeoutMs = flags.timeout === undefined ? undefined : parseTimeout(flags.timeout, '--timeout');
  const maxEvents =
    flags.maxEvents === undefined
      ? undefined
      : parseWholeNumber(flags.maxEvents, { flag: '--max-events', min: 1, max: Number.MAX_SAFE_INTEGER, hint: 'Pass e.g. --max-events 1.' });
  const { checkForwardUrl } = await import('../../webhook/forward-delivery.js');
  const forwardTo = flags.forwardTo === undefined ? undefined : checkForwardUrl(flags.forwardTo);
  if (!secret) {
    output.warn(
      `No webhook secret: deliveries are accepted without checking ${describeSecretHeaders(secretHeadersFor(listener.secretHeader))}. Set ${ENV_VARS.secret} or --secret to check it too.`,
    );
  }
  warnIfNotLoopback(output, listener.host, 'The webhook listener');

  // With no stop condition, listen runs until stopped: SIGTERM is its normal end (exit 0).
  const openEnded = maxEvents === undefined && timeoutMs === undefined;
  const { ListenView } = await import('../views/listen-view.js');
  const view = new ListenView(output, choice, { maxEvents, timeoutMs, openEnded });
  const interrupt = interruptOnSignals({
    onInterrupt: (name) => {
      const what = [choice.kind !== 'none' && choice.kind !== 'public-url' ? 'the tunnel' : '', 'the listener', flags.log ? 'the log' : ''].filter(Boolean);
      output.info(
        `Stopping (${name}): closing ${what.length > 1 ? `${what.slice(0, -1).join(', ')} and ${what.at(-1)}` : what[0]}… (Ctrl-C again quits at once)`,
      );
    },
  });
  const page = await startPage(flags, output, { mode: 'listen' });
  const { runListenFlow } = await import('../../flow/listen-flow.js');
  try {
    const result = await runListenFlow({
      host: listener.host,
      port,
      path: listener.path,
      secret,
      // Whatever the command masks (the API key from the environment too), the log masks.
      alsoMask: output.protectedValues,
      secretHeader: listener.secretHeader,
      tunnel: choice,
      rememberWebhookUrl: webhookUrlMemory(choice, identity, sources),
      maxEvents,
      timeoutMs,
      forwardTo,
      logPath: flags.log,
      logFsync: flags.log !== undefined && logFsync,
      signal: interrupt.signal,
      onEvent: (event) => {
        view.onEvent(event);
        page?.feed(event);
      },
    });
    const exitCode = view.finish(result, maxEvents);
    // A stop that exits 0 (SIGTERM on a listen that runs until stopped) is its normal end: the page says stopped.
    page?.end(result, { cleanStop: result.reason === 'interrupted' && exitCode === TERMINATED_SERVER_EXIT });
    return exitCode;
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
