import type { Command } from 'commander';
import { ENV_VARS, pick } from '../../config.js';
import {
  addOutputOptions,
  envHelp,
  examples,
  exitCodeHelp,
  languageOption,
  pathOption,
  PROGRAM_OPTIONS_NOTE,
  type OutputFlags,
  type SecretFlags,
} from '../flags.js';
import { startCommand, type CommandRunner, type RunContext } from '../start-command.js';
import { interruptOnSignals } from '../signals.js';
import { addListenerOptions, addTunnelOption, listenerEnvRows, tunnelEnvRows } from '../tunnel-flags.js';
import type { CreateConfigFlags } from '../create-config.js';
import { addPageOption, PAGE_ENV_ROW, startPage, type PageFlags } from '../page-flags.js';

/** Every flag of `create`: those its configuration is built from, and the ones every command reads. */
interface CreateFlags extends CreateConfigFlags, PageFlags, OutputFlags, SecretFlags {
  apiKey?: string;
}

export function registerCreate(program: Command, runner: CommandRunner, ctx: RunContext): void {
  const command = program
    .command('create')
    .description('create a WhatsApp verification, show its link and QR code, and wait for the verified webhook')
    .option('-p, --phone <number>', 'phone number with country code, e.g. 6281234567890 or "+62 812-3456-7890"')
    .addOption(languageOption('language of the WhatsApp message (default: en)'))
    .option('--expiry <minutes>', 'minutes until the verification expires, 1-1440 (SendTalk default when omitted)')
    .option('--api-key <key>', `SendTalk API key (env ${ENV_VARS.apiKey})`)
    .option('--api-url <url>', `SendTalk API base URL, e.g. an emulator's (env ${ENV_VARS.apiUrl}, default https://sendtalk-api.taptalk.io)`);
  addTunnelOption(addListenerOptions(command), 'auto; never with --sandbox')
    .option('--timeout <duration>', 'give up waiting after this long: 30s, 2m, or seconds (default: the expiry)')
    .option('--no-wait', 'create the verification and exit without waiting for the webhook')
    .addOption(pathOption('--qr-file <path>', 'also write the QR code to this file: .svg or .png (SVG without an extension)'))
    .option('--sandbox', 'run everything against the embedded emulator: no key, no network, no phone');
  addPageOption(command, 'the QR code, the countdown and every delivery');
  addOutputOptions(command, { json: 'print one JSON document on stdout and nothing else there', quiet: 'print only the result' })
    .addHelpText(
      'after',
      PROGRAM_OPTIONS_NOTE +
        examples([
          ['sendtalk-verify create --sandbox', 'the whole flow offline, against the embedded emulator'],
          [
            'sendtalk-verify create --phone 6281234567890',
            'real use through localtunnel (cloudflared when it cannot open): the webhook URL is named after the API key, so it is set once in the dashboard',
          ],
          [
            'sendtalk-verify create --phone 6281234567890 --tunnel cloudflared',
            'through a Cloudflare quick tunnel (cloudflared installed): its URL is new every run, so update the dashboard each time',
          ],
          [
            'sendtalk-verify create --phone 6281234567890 --port 8787 --tunnel https://abc.ngrok.app',
            'behind your own tunnel (ngrok http 8787): set https://abc.ngrok.app/webhook as the Webhook URL',
          ],
          ['sendtalk-verify create --phone 6281234567890 --no-wait --json', 'create only, for scripts and CI'],
          ['sendtalk-verify create --sandbox --open', 'the flow on a local page in the browser: QR code, countdown, deliveries'],
        ]) +
        envHelp([
          [ENV_VARS.appUrl, 'a link SendTalk puts in the message, back to your app'],
          [ENV_VARS.apiTimeout, 'give up on the API call after this long, retries included (default 25s)'],
          [ENV_VARS.sandboxDelay, '--sandbox: delay before the emulator delivers the webhook (default 2s)'],
          ...listenerEnvRows(),
          ...tunnelEnvRows(),
          [ENV_VARS.qr, 'the QR code: always or never (default: on a terminal), dark or light background, sextants or half-blocks'],
          PAGE_ENV_ROW,
        ]) +
        exitCodeHelp(),
    )
    .action((_flags: CreateFlags, cmd: Command) => runner(() => runCreate(cmd.optsWithGlobals<CreateFlags>(), ctx)));
}

/**
 * Whether to draw the QR code: as SENDTALK_QR says (always, never), else on a terminal. A terminal
 * that says it is dumb (TERM=dumb: Emacs' shell, some IDE consoles) draws no blocks, and is told so
 * in one line.
 */
function qrDrawing(asked: 'always' | 'never' | undefined, interactive: boolean): 'yes' | 'no' | 'dumb-terminal' {
  if (asked !== undefined) return asked === 'always' ? 'yes' : 'no';
  if (interactive) return 'yes';
  return process.env.TERM === 'dumb' && process.stderr.isTTY ? 'dumb-terminal' : 'no';
}

async function runCreate(flags: CreateFlags, ctx: RunContext): Promise<number> {
  const start = startCommand(flags, ctx, { apiKeyFromEnv: true });
  const { output } = start;
  // The view and the configuration load when the command runs, not with every --help.
  const [{ resolveCreateConfig }, { CreateView }] = await Promise.all([import('../create-config.js'), import('../views/create-view.js')]);
  const config = await resolveCreateConfig(flags, start);
  const { qrSetting } = await import('../terminal.js');
  const qr = qrSetting(pick(undefined, ENV_VARS.qr, start.sources).value);
  const { sandbox } = config;
  const page = await startPage(flags, output, { mode: 'create' });
  const view = new CreateView(output, config.tunnel, sandbox, {
    draw: output.json ? 'no' : qrDrawing(qr.draw, output.interactive),
    background: qr.background,
    glyphs: qr.glyphs,
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
