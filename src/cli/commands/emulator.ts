import type { Command } from 'commander';
import { ENV_VARS } from '../../config.js';
import { parseDuration } from '../../duration.js';
import { SendtalkVerifyError } from '../../errors.js';
import { DEFAULT_SECRET_HEADER } from '../../webhook/secret.js';
import {
  addOutputOptions,
  envRows,
  examples,
  exitCodeHelp,
  hostOption,
  parsePort,
  pathOption,
  PROGRAM_OPTIONS_NOTE,
  secretOption,
  warnIfNotLoopback,
  type OutputFlags,
  type SecretFlags,
} from '../flags.js';
import { startCommand, type CommandRunner, type RunContext } from '../start-command.js';
import { INTERRUPTED_EXIT, interruptOnSignals, stopSignal, TERMINATED_SERVER_EXIT } from '../signals.js';
import { secretHeaderSetting } from '../tunnel-flags.js';
import { checkHttpUrl } from '../../http/url.js';
import type { WrittenFile } from '../../safe-file.js';
import type { EmulatorSettings } from '../views/emulator-view.js';

/** The emulator's usual port, so that an app's test configuration can name it. */
export const DEFAULT_EMULATOR_PORT = 4010;

interface EmulatorFlags extends OutputFlags, SecretFlags {
  port?: string;
  host?: string;
  apiKey?: string;
  webhookUrl?: string;
  autoVerify?: string;
  latency?: string;
  readyFile?: string;
}

export function registerEmulator(program: Command, runner: CommandRunner, ctx: RunContext): void {
  const command = program
    .command('emulator')
    .description('run a SendTalk-compatible API on this machine: the create endpoint, the verified webhook, a control API and fault injection')
    .option('--port <port>', `port to listen on; 0 picks a free one (default: ${DEFAULT_EMULATOR_PORT})`)
    .addOption(hostOption('address to bind (default: 127.0.0.1)'))
    .option('--api-key <key>', 'accept only this API-Key (default: any non-empty key)')
    .option('--webhook-url <url>', 'where to deliver the verified webhook (default: nowhere)')
    .addOption(secretOption(`secret sent with each webhook (env ${ENV_VARS.secret})`))
    .option('--auto-verify <duration>', 'deliver the verified webhook this long after each create, or "off" to wait for the control API (default: 2s)')
    .option('--latency <duration>', 'delay every API answer by this long (default: 0)')
    .addOption(pathOption('--ready-file <path>', 'once listening, write the base URL to this file (atomically; removed on exit): see the wait command'));
  addOutputOptions(command, {
    json: 'print NDJSON on stdout: a "ready" line, then one line per request and per webhook attempt',
    quiet: 'print only the request and webhook lines',
  })
    .addHelpText(
      'after',
      PROGRAM_OPTIONS_NOTE +
        examples([
          ['sendtalk-verify emulator', `SendTalk on http://127.0.0.1:${DEFAULT_EMULATOR_PORT}: point your app's API URL at it`],
          [
            'sendtalk-verify emulator --api-key test_key --webhook-url http://localhost:3000/webhook --secret test_secret',
            'the whole loop: your app creates, the emulator calls its webhook 2 s later',
          ],
          [
            'sendtalk-verify emulator --port 0 --auto-verify off --json',
            'for test suites: a free port, the URL in the first NDJSON line, verify via the control API',
          ],
          [
            'sendtalk-verify emulator --ready-file emulator.ready & sendtalk-verify wait emulator.ready',
            'in a script: go on once it is listening (wait prints the URL); kill (SIGTERM) stops it with exit 0',
          ],
        ]) +
        `\nControl API (plain JSON, for tests):
  GET    /_emulator/verifications              list (GET /_emulator/verifications/:id for one)
  POST   /_emulator/verifications/:id/verify   deliver the verified webhook now (?wait=false: don't wait)
  GET    /_emulator/webhooks                   every delivery, its attempts and outcome
  POST   /_emulator/faults                     e.g. {"type":"http-error","status":503,"count":2}
  GET|DELETE /_emulator/faults                 list or clear queued faults
  PUT    /_emulator/webhook                    {"url":…, "secret":…, "secretHeader":…}
  PUT    /_emulator/shape                      {"responseAliases":1, "responseNested":true,
                                                "webhook":"wrapped", "webhookStatus":"failed"}
  POST   /_emulator/reset                      forget verifications, deliveries and faults
  POST   /_emulator/offline                    {"ms":2000}: refuse connections that long, then listen again
Fault types: latency {ms}, http-error {status 500-599}, rate-limit {retryAfter}, hang, malformed,
error-envelope {status, code, message, field}, reset {at: mid-body|before-answer}, html {status},
missing-fields {fields}; each for the next "count" API requests (default 1).

Environment:
${envRows([[ENV_VARS.secretHeader, `the header the webhook carries the secret in (default ${DEFAULT_SECRET_HEADER})`]])}` +
        exitCodeHelp(),
    )
    .action((_flags: EmulatorFlags, cmd: Command) => runner(() => runEmulator(cmd.optsWithGlobals<EmulatorFlags>(), ctx)));
}

async function runEmulator(flags: EmulatorFlags, ctx: RunContext): Promise<number> {
  const {
    output,
    sources,
    secret: { value: secret },
  } = startCommand(flags, ctx, { ndjson: true });
  const secretHeader = secretHeaderSetting(sources);
  if (flags.apiKey === '')
    throw new SendtalkVerifyError('usage', 'The API key is empty.', { hint: 'Pass --api-key with a value, or omit it to accept any key.' });
  const port = parsePort(flags.port ?? String(DEFAULT_EMULATOR_PORT));
  const autoVerifyMs = parseAutoVerify(flags.autoVerify ?? '2s');
  const latencyMs = flags.latency === undefined ? 0 : parseDuration(flags.latency, '--latency');
  if (flags.webhookUrl !== undefined) {
    checkHttpUrl(flags.webhookUrl, '--webhook-url', 'Pass the full URL of your webhook, e.g. --webhook-url http://localhost:3000/webhook.');
  }
  warnIfNotLoopback(output, flags.host, 'The emulator');
  // The emulator (and the client module it shares paths with) loads on use, so `--help` stays fast.
  const [{ startEmulator }, { CREATE_PATH }] = await Promise.all([import('../../emulator/emulator.js'), import('../../client/create-verification.js')]);
  const settings: EmulatorSettings = {
    createPath: CREATE_PATH,
    apiKeyRequired: flags.apiKey !== undefined,
    webhookUrl: flags.webhookUrl,
    secretHeader: secretHeader ?? DEFAULT_SECRET_HEADER,
    secretSet: Boolean(secret),
    autoVerifyMs,
    latencyMs,
  };

  // A ready file left by an earlier run would tell a waiting script "ready" before this one is.
  const readyFile = flags.readyFile === undefined ? undefined : await import('../../ready-file.js');
  if (flags.readyFile !== undefined) await readyFile!.clearReadyFile(flags.readyFile);
  const { EmulatorView } = await import('../views/emulator-view.js');
  const view = new EmulatorView(output);
  const interrupt = interruptOnSignals({
    onInterrupt: (name) => {
      output.info(`Stopping (${name}): closing the emulator… (Ctrl-C again quits at once)`);
    },
  });
  try {
    const emulator = await startEmulator({
      host: flags.host,
      port,
      apiKey: flags.apiKey,
      webhookUrl: flags.webhookUrl,
      secret,
      secretHeader,
      autoVerifyMs,
      latencyMs,
      onEvent: (event) => view.onEvent(event),
    });
    view.ready(emulator, settings);
    let written: WrittenFile | undefined;
    if (flags.readyFile !== undefined) {
      try {
        written = await readyFile!.writeReadyFile(flags.readyFile, emulator.url);
      } catch (error) {
        await emulator.close();
        throw error;
      }
    }
    await new Promise<void>((resolve) => {
      if (interrupt.signal.aborted) resolve();
      interrupt.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    view.closing();
    // Gone before the port closes: a script that sees the file can still connect.
    if (written) await readyFile!.removeReadyFile(written);
    await emulator.close();
    view.stopped(interrupt.signal.reason);
    return stopSignal() === 'SIGTERM' ? TERMINATED_SERVER_EXIT : INTERRUPTED_EXIT;
  } finally {
    interrupt.dispose();
  }
}

function parseAutoVerify(text: string): number | false {
  if (/^(off|false|never|no)$/i.test(text.trim())) return false;
  try {
    return parseDuration(text, '--auto-verify');
  } catch (error) {
    if (!(error instanceof SendtalkVerifyError)) throw error;
    throw new SendtalkVerifyError('usage', error.message, { hint: 'Write a delay such as 2s, 500ms or 1m, or "off" to deliver only on a control call.' });
  }
}
