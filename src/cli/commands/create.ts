import { Command, Option } from 'commander';
import { pick, ENV_VARS } from '../../config.js';
import { parseDuration } from '../../duration.js';
import { noApiKeyError, SendtalkVerifyError } from '../../errors.js';
import type { PublicUrlProvider } from '../../flow/create-flow.js';
import { describeSecretHeaders, secretHeadersFor } from '../../webhook/secret.js';
import { envHelp, examples, exitCodeHelp } from '../help.js';
import type { CommandRunner, RunContext } from '../run-context.js';
import { addDotenvOptions, addVerbosityOptions, jsonOption, type OutputFlags, type SecretFlags } from '../common-flags.js';
import type { Output } from '../output.js';
import { startCommand } from '../start-command.js';
import { interruptOnSignals } from '../signals.js';
import { addListenerOptions, addTunnelOptions, resolveTunnel, tunnelEnvHelp, type TunnelChoice, type TunnelFlags } from '../tunnel-flags.js';
import { addPageOptions, pageEnvHelp, startPage, type PageFlags } from '../page-flags.js';
import { checkApiUrl } from '../config-values.js';
import { parseHttpUrl } from '../../http/parse-url.js';
import { CreateView } from '../views/create-view.js';
import { languageOption, parsePort, parseWholeNumber, warnIfNotLoopback } from '../parse-flags.js';

/** Used by --sandbox when no --phone is given: the demo needs no real number. */
export const SANDBOX_DEMO_PHONE = '6281234567890';

interface CreateFlags extends TunnelFlags, PageFlags, OutputFlags, SecretFlags {
  phone?: string;
  language?: string;
  expiry?: string;
  appUrl?: string;
  apiKey?: string;
  apiUrl?: string;
  apiTimeout?: string;
  host?: string;
  port?: string;
  path?: string;
  timeout?: string;
  wait: boolean;
  qr?: boolean;
  qrFile?: string;
  qrBackground?: 'dark' | 'light';
  sandbox?: boolean;
  sandboxDelay?: string;
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
    .addOption(jsonOption('print one JSON document on stdout and nothing else there'))
    .option('--qr', 'draw the QR code even when not on a terminal')
    .option('--no-qr', 'do not draw the QR code')
    .option('--qr-file <path>', 'also write the QR code to this file: SVG, or PNG when the name ends in .png')
    .addOption(new Option('--qr-background <shade>', 'your terminal\'s background, for the QR code drawn without colours (NO_COLOR): dark or light (default: dark)').choices(['dark', 'light']))
    .option('--sandbox', 'run everything against the embedded emulator: no key, no network, no phone')
    .option('--sandbox-delay <duration>', 'sandbox: delay before the emulator delivers the verified webhook (default: 2s)');
  addVerbosityOptions(addDotenvOptions(command), { debug: 'show HTTP traces and stack traces (secrets stay masked)', quiet: 'print only the result' });
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
  const start = startCommand(flags, ctx, { apiKeyFromEnv: true });
  const { output, sources } = start;
  const sandbox = flags.sandbox ?? false;
  const apiKey = start.apiKey.value;
  const secret = start.secret.value;

  if (!sandbox && !apiKey) throw noApiKeyError(); // before any prompt: no point asking for a phone first
  // The sandbox runs its own API: a stale SENDTALK_API_URL in .env must not stop it.
  const apiUrl = sandbox ? undefined : checkApiUrl(pick(flags.apiUrl, ENV_VARS.apiUrl, sources), sources, ENV_VARS.apiUrl);
  const phone = flags.phone ?? (sandbox ? SANDBOX_DEMO_PHONE : await askForPhone(output));
  // The sandbox's emulator delivers on loopback, so it never uses a tunnel.
  if (sandbox && (flags.tunnel === 'localtunnel' || flags.subdomain !== undefined || flags.tunnelHost !== undefined || flags.publicUrl !== undefined)) {
    output.warn('--sandbox delivers the webhook on this machine: --tunnel, --subdomain, --tunnel-host and --public-url are ignored.');
  }
  const tunnel: TunnelChoice = sandbox ? { kind: 'none' } : resolveTunnel(flags, sources, 'localtunnel', output);
  const port = flags.port === undefined ? undefined : parsePort(flags.port);
  const expiryMinutes = flags.expiry === undefined ? undefined : parseWholeNumber(flags.expiry, { flag: '--expiry', min: 1, max: 1440, hint: 'Pass the minutes until expiry, e.g. --expiry 10.' });
  const timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout');
  if (timeoutMs === 0) {
    throw new SendtalkVerifyError('usage', '--timeout 0 would stop waiting before the webhook can arrive.', {
      hint: 'Pass how long to wait once the verification is created, e.g. --timeout 2m, or --no-wait to create only.',
    });
  }
  // The link goes into a WhatsApp message: only a web address, never javascript: or a typo.
  if (flags.appUrl !== undefined) parseHttpUrl(flags.appUrl, '--app-url', 'SendTalk puts this link in the WhatsApp message: pass an http(s) URL of your app, e.g. --app-url https://example.com/verified.');
  const apiTimeoutMs = flags.apiTimeout === undefined ? undefined : parseDuration(flags.apiTimeout, '--api-timeout');
  const sandboxDelayMs = flags.sandboxDelay === undefined ? undefined : parseDuration(flags.sandboxDelay, '--sandbox-delay');
  if (!sandbox && flags.wait && !secret) {
    output.warn(`No webhook secret: deliveries will be accepted without checking ${describeSecretHeaders(secretHeadersFor(flags.secretHeader))}. Set ${ENV_VARS.secret} or --secret.`);
  }
  warnIfNotLoopback(output, flags.host, 'The webhook listener');
  if (flags.qrFile !== undefined) {
    // Before anything is created: a typo in the file name must not cost a verification.
    const { checkQrFilePath } = await import('../../render/qr-file.js');
    await checkQrFilePath(flags.qrFile);
  }

  if ((flags.open || flags.ui) && !flags.wait) {
    output.warn('With --no-wait the command ends once the verification is created, and the page with it: it will show only that.');
  }
  const showQr = flags.qr ?? output.interactive;
  const page = await startPage(flags, output, { mode: 'create', secrets: [apiKey, secret] });
  const view = new CreateView(output, showQr && !output.json, tunnel, sandbox, {
    colour: output.c.enabled,
    background: flags.qrBackground,
    file: flags.qrFile,
    page,
  });
  const interrupt = interruptOnSignals({
    onForcedExit: () => view.stop(),
    onInterrupt: (name) => {
      view.stop();
      output.info(`Stopping (${name}): closing the listener${sandbox ? ' and the emulator' : ''}… (Ctrl-C again quits at once)`);
    },
  });
  const { runCreateFlow } = await import('../../flow/create-flow.js');
  try {
    const result = await runCreateFlow({
      phone,
      language: flags.language as 'en' | 'id' | undefined,
      expiryMinutes,
      appUrl: flags.appUrl,
      apiKey,
      apiUrl,
      apiTimeoutMs,
      secret,
      secretHeader: flags.secretHeader,
      host: flags.host,
      port,
      path: flags.path,
      publicUrl: tunnel.kind === 'public-url' ? tunnel.publicUrl : undefined,
      openPublicUrl: tunnel.kind === 'localtunnel' ? openLocaltunnel(tunnel, view) : undefined,
      wait: flags.wait,
      timeoutMs,
      sandbox,
      sandboxDelayMs,
      signal: interrupt.signal,
      onEvent: (event) => {
        view.onEvent(event);
        page?.feed(event);
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

/** The tunnel for `create`, loaded on first use; its later events (drops, new URLs) go to the view. */
function openLocaltunnel(choice: Extract<TunnelChoice, { kind: 'localtunnel' }>, view: CreateView): PublicUrlProvider {
  return async (local, signal) => {
    const [{ openTunnel }, { joinPublicUrl }] = await Promise.all([import('../../tunnel/open-tunnel.js'), import('../../tunnel/tunnel-config.js')]);
    const handle = await openTunnel({
      port: local.port,
      localHost: local.host,
      host: choice.host,
      subdomain: choice.subdomain,
      registrationTimeoutMs: choice.timeoutMs,
      signal,
      onEvent: (event) => {
        const base = 'url' in event ? event.url : undefined;
        view.onTunnelEvent(event, base === undefined ? undefined : joinPublicUrl(base, local.path), event.type === 'reopened' ? joinPublicUrl(event.previousUrl, local.path) : undefined);
      },
    });
    return handle; // its `url` follows the tunnel when it re-opens
  };
}

/**
 * A missing --phone is asked for on a terminal (and re-asked, with the reason, when it does not
 * parse); anywhere else it is a usage error naming the flag, so CI never waits on a prompt.
 */
async function askForPhone(output: Output): Promise<string> {
  const missing = new SendtalkVerifyError('usage', 'No phone number.', {
    hint: 'Pass --phone with the country code, e.g. --phone 6281234567890 (or try --sandbox).',
  });
  const { canPrompt, ask } = await import('../prompt.js');
  if (!canPrompt()) throw missing;
  const { parsePhone } = await import('../../phone.js');
  for (let attempt = 0; attempt < 3; attempt++) {
    const answer = await ask('Phone number to verify, with country code (e.g. +62 812-3456-7890): ');
    if (!answer) throw missing;
    try {
      return parsePhone(answer).digits;
    } catch (error) {
      if (!(error instanceof SendtalkVerifyError)) throw error;
      output.error(error.message, error.hint?.replace('--phone ', ''));
    }
  }
  throw missing;
}
