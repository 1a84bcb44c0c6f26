import { Command, Option } from 'commander';
import { ENV_VARS } from '../../config.js';
import { envHelp, examples, exitCodeHelp } from '../help.js';
import type { CommandRunner, RunContext } from '../run-context.js';
import { addDotenvOptions, addVerbosityOptions, jsonOption, type OutputFlags, type SecretFlags } from '../common-flags.js';
import { startCommand } from '../start-command.js';
import { interruptOnSignals } from '../signals.js';
import { addListenerOptions, addTunnelOptions, tunnelEnvHelp, type TunnelFlags } from '../tunnel-flags.js';
import { addPageOptions, pageEnvHelp, startPage, type PageFlags } from '../page-flags.js';
import { resolveCreateConfig } from '../create-config.js';
import { CreateView } from '../views/create-view.js';
import { languageOption, pathOption } from '../parse-flags.js';

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
  addTunnelOptions(addListenerOptions(command), 'auto; never with --sandbox')
    .option('--timeout <duration>', 'give up waiting after this long: 30s, 2m, or seconds (default: the expiry)')
    .option('--no-wait', 'create the verification and exit without waiting for the webhook')
    .addOption(jsonOption('print one JSON document on stdout and nothing else there'))
    .option('--qr', 'draw the QR code even when not on a terminal')
    .option('--no-qr', 'do not draw the QR code')
    .addOption(pathOption('--qr-file <path>', 'also write the QR code to this file: .svg or .png (SVG without an extension)'))
    .addOption(new Option('--qr-background <shade>', 'your terminal\'s background, for the QR code drawn without colours (NO_COLOR): dark or light (default: dark)').choices(['dark', 'light']))
    .option('--sandbox', 'run everything against the embedded emulator: no key, no network, no phone')
    .option('--sandbox-delay <duration>', 'sandbox: delay before the emulator delivers the verified webhook (default: 2s)');
  addVerbosityOptions(addDotenvOptions(command), { debug: 'show HTTP traces and stack traces (secrets stay masked)', quiet: 'print only the result' });
  addPageOptions(command, 'the QR code, the countdown and every delivery')
    .addHelpText('after', examples([
      ['sendtalk-verify create --sandbox', 'the whole flow offline, against the embedded emulator'],
      ['sendtalk-verify create --phone 6281234567890', 'real use through localtunnel (cloudflared when it cannot open): the webhook URL is named after the API key, so it is set once in the dashboard'],
      ['sendtalk-verify create --phone 6281234567890 --tunnel cloudflared', 'through a Cloudflare quick tunnel (cloudflared installed): its URL is new every run, so update the dashboard each time'],
      ['sendtalk-verify create --phone 6281234567890 --port 8787 --public-url https://abc.ngrok.app', 'behind your own tunnel (ngrok http 8787): set https://abc.ngrok.app/webhook as the Webhook URL'],
      ['sendtalk-verify create --phone 6281234567890 --no-wait --json', 'create only, for scripts and CI'],
      ['sendtalk-verify create --sandbox --open', 'the flow on a local page in the browser: QR code, countdown, deliveries'],
    ]) + envHelp() + tunnelEnvHelp() + pageEnvHelp() + exitCodeHelp())
    .action((flags: CreateFlags) => runner(() => runCreate(flags, ctx)));
}

/**
 * Whether to draw the QR code: as asked (--qr, --no-qr), else on a terminal. A terminal that says it
 * is dumb (TERM=dumb: Emacs' shell, some IDE consoles) draws no blocks, and is told so in one line.
 */
function qrDrawing(asked: boolean | undefined, interactive: boolean): 'yes' | 'no' | 'dumb-terminal' {
  if (asked !== undefined) return asked ? 'yes' : 'no';
  if (interactive) return 'yes';
  return process.env.TERM === 'dumb' && process.stderr.isTTY ? 'dumb-terminal' : 'no';
}

async function runCreate(flags: CreateFlags, ctx: RunContext): Promise<number> {
  const start = startCommand(flags, ctx, { apiKeyFromEnv: true });
  const { output } = start;
  const config = await resolveCreateConfig(flags, start);
  const { sandbox } = config;
  const page = await startPage(flags, output, { mode: 'create' });
  const view = new CreateView(output, config.tunnel, sandbox, {
    draw: output.json ? 'no' : qrDrawing(flags.qr, output.interactive),
    background: flags.qrBackground,
    file: flags.qrFile,
    page,
    waiting: config.wait,
  });
  const interrupt = interruptOnSignals({
    onForcedExit: () => view.stop(),
    onInterrupt: (name) => {
      view.stop();
      output.info(`Stopping (${name}): closing the listener${sandbox ? ' and the emulator' : ''}… (Ctrl-C again quits at once)`);
    },
  });
  const { runCheckedCreateFlow } = await import('../../flow/create-flow.js');
  try {
    const result = await runCheckedCreateFlow({
      ...config,
      signal: interrupt.signal,
      onEvent: (event) => {
        view.onEvent(event);
        // The page shows the flow; tunnel changes are the terminal's to report, as they always were.
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
