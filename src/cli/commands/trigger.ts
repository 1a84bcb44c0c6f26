import { Option, type Command } from 'commander';
import type { LanguageCode } from '../../client/create-verification.js';
import { ENV_VARS } from '../../config.js';
import { SendtalkVerifyError } from '../../errors.js';
import { DEFAULT_SECRET_HEADER } from '../../webhook/secret.js';
import { withArticle } from '../../render/text.js';
import { githubActions } from '../github-actions.js';
import {
  addOutputOptions,
  envHelp,
  examples,
  exitCodeHelp,
  languageOption,
  pathOption,
  PROGRAM_OPTIONS_NOTE,
  secretOption,
  type OutputFlags,
  type SecretFlags,
} from '../flags.js';
import { startCommand, type CommandRunner, type RunContext } from '../start-command.js';
import { interruptOnSignals } from '../signals.js';
import { envDuration } from '../config-values.js';
import { secretHeaderSetting } from '../tunnel-flags.js';

interface TriggerFlags extends OutputFlags, SecretFlags {
  url?: string;
  phone?: string;
  id?: string;
  language?: LanguageCode;
  payload?: string;
  check?: boolean;
  replay?: string;
}

export function registerTrigger(program: Command, runner: CommandRunner, ctx: RunContext): void {
  const command = program
    .command('trigger')
    .description('send a signed "verified" event to a webhook URL; --check grades the endpoint, --replay re-sends a listen --log file')
    .option('--url <url>', 'the webhook URL to send to (required)')
    .addOption(secretOption())
    .addOption(new Option('--phone <number>', 'phone number in the event (default: 6281234567890)').conflicts(['payload', 'replay']))
    .addOption(new Option('--id <id>', 'verification id in the event (default: a random UUID)').conflicts(['payload', 'replay']))
    .addOption(languageOption('language code in the event (default: en)').conflicts(['payload', 'replay']))
    .addOption(pathOption('--payload <file>', "send this file's bytes as the event instead of the built-in one").conflicts('replay'))
    .addOption(new Option('--check', 'also send the cases a correct endpoint must refuse, and grade it in a table').conflicts('replay'))
    .addOption(pathOption('--replay <file>', 're-send the deliveries recorded by listen --log, body bytes unchanged'));
  addOutputOptions(command, {
    json: 'print one JSON document on stdout and nothing else there',
    quiet: 'print only the result',
  })
    .addHelpText(
      'after',
      PROGRAM_OPTIONS_NOTE +
        examples([
          ['sendtalk-verify trigger --url http://localhost:3000/webhooks/sendtalk --secret "$SECRET"', 'send one verified event, as SendTalk would'],
          [
            'sendtalk-verify trigger --url https://staging.example.com/webhooks/sendtalk --check --json',
            'CI smoke test: grade the endpoint, exit 5 if a case fails',
          ],
          [
            'sendtalk-verify trigger --url http://localhost:3000/webhooks/sendtalk --replay deliveries.ndjson',
            're-send what `listen --log deliveries.ndjson` recorded',
          ],
        ]) +
        `\nCases graded by --check:
  valid            a verified event with the right secret     → 2xx
  duplicate        the same event again                       → 2xx (idempotent)
  no-secret        no secret header                           → 401/403
  wrong-secret     a wrong secret of the same length          → 401/403
  malformed-json   a body that is not JSON, right secret      → 4xx
  wrong-method     a GET                                      → 4xx
  oversized        a 2 MiB event, right secret                → 4xx, or the connection closed
` +
        envHelp([
          [ENV_VARS.secretHeader, `the header the secret is sent in (default ${DEFAULT_SECRET_HEADER})`],
          [ENV_VARS.requestTimeout, 'bound on each request, from connecting to the last byte (default 10s)'],
        ]) +
        exitCodeHelp(),
    )
    .action((_flags: TriggerFlags, cmd: Command) => runner(() => runTrigger(cmd.optsWithGlobals<TriggerFlags>(), ctx)));
}

async function runTrigger(flags: TriggerFlags, ctx: RunContext): Promise<number> {
  const {
    output,
    sources,
    secret: { value: secret },
  } = startCommand(flags, ctx);
  const secretHeader = secretHeaderSetting(sources);
  if (!flags.url) {
    throw new SendtalkVerifyError('usage', 'No webhook URL.', {
      hint: 'Pass --url with the URL registered in Verification Config, e.g. --url http://localhost:3000/webhook.',
    });
  }
  const requestTimeoutMs = envDuration(ENV_VARS.requestTimeout, sources, 'timeout');
  const target = { url: flags.url, secret, secretHeader, requestTimeoutMs };
  // The trigger core loads on use, so `--help` stays fast.
  const [
    { DEFAULT_REQUEST_TIMEOUT_MS, checkWebhookUrl },
    { readDeliveryLog, replayDeliveries },
    { builtInEvent, fileEvent },
    { CHECK_CASE_NAMES },
    { checkEndpoint },
    { sendEvent },
  ] = await Promise.all([
    import('../../trigger/target.js'),
    import('../../trigger/replay.js'),
    import('../../trigger/event.js'),
    import('../../trigger/check-cases.js'),
    import('../../trigger/check-endpoint.js'),
    import('../../trigger/send-event.js'),
  ]);
  const core = {
    DEFAULT_REQUEST_TIMEOUT_MS,
    checkWebhookUrl,
    readDeliveryLog,
    replayDeliveries,
    builtInEvent,
    fileEvent,
    CHECK_CASE_NAMES,
    checkEndpoint,
    sendEvent,
  };
  const interrupt = interruptOnSignals();
  const { TriggerView } = await import('../views/trigger-view.js');
  const view = new TriggerView(output, requestTimeoutMs ?? core.DEFAULT_REQUEST_TIMEOUT_MS, githubActions(output));
  // Validate, then announce: a usage error must not follow a line saying the work has started.
  core.checkWebhookUrl(flags.url);
  if (flags.check && flags.replay === undefined && !secret) {
    throw new SendtalkVerifyError('usage', 'A check needs the webhook secret: half of its cases are about it.', {
      hint: `Pass --secret (or set ${ENV_VARS.secret}) to the secret shown in Verification Config.`,
    });
  }
  try {
    if (flags.replay !== undefined) {
      const log = await core.readDeliveryLog(flags.replay);
      view.starting(`Replaying ${log.records.length} recorded deliver${log.records.length === 1 ? 'y' : 'ies'} to ${flags.url}`);
      const report = await core.replayDeliveries({ ...target, log, signal: interrupt.signal, onDelivery: (d) => output.trace(`#${d.seq}: ${d.got.summary}`) });
      return view.replay(report, flags.replay);
    }
    const event =
      flags.payload !== undefined
        ? core.fileEvent(await readPayload(flags.payload))
        : core.builtInEvent({ id: flags.id, phone: flags.phone, language: flags.language });
    if (flags.check) {
      view.starting(`Checking ${flags.url} with ${core.CHECK_CASE_NAMES.length} cases`);
      const report = await core.checkEndpoint({
        ...target,
        secret: secret ?? '',
        event,
        signal: interrupt.signal,
        onCase: (c) => output.trace(`${c.name}: ${c.got.summary} → ${c.verdict}`),
      });
      return view.check(report);
    }
    if (!secret)
      output.warn(`No secret: the event goes without ${withArticle(secretHeader ?? DEFAULT_SECRET_HEADER)} header. Pass --secret or set ${ENV_VARS.secret}.`);
    view.starting(`Sending a verified event to ${flags.url}`);
    return view.send(await core.sendEvent({ ...target, event, signal: interrupt.signal }), event);
  } finally {
    interrupt.dispose();
  }
}

async function readPayload(path: string): Promise<Buffer> {
  const { readRegularFile, READ_LIMITS } = await import('../../safe-file.js');
  const bytes = await readRegularFile(
    path,
    {
      flag: '--payload',
      noun: 'the payload file',
      hint: 'Pass --payload a regular JSON file, or omit it to send the built-in verified event.',
    },
    READ_LIMITS.payload,
  );
  if (bytes.length === 0)
    throw new SendtalkVerifyError('usage', `The payload file ${path} is empty.`, { hint: 'Put the JSON event in it, or omit --payload.' });
  return bytes;
}
