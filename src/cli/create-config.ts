import { pick, ENV_VARS } from '../config.js';
import { formatDuration, parseTimeout } from '../duration.js';
import { noApiKeyError, SendtalkVerifyError } from '../errors.js';
import type { CreateFlowConfig } from '../flow/create-options.js';
import { checkHttpUrl } from '../http/url.js';
import type { PhoneNumber } from '../phone.js';
import { describeSecretHeaders, secretHeadersFor } from '../webhook/secret.js';
import { checkApiUrl, envDuration, envSetting } from './config-values.js';
import type { Output } from './output.js';
import type { CommandStart } from './start-command.js';
import { parsePort, parseWholeNumber, warnIfNotLoopback } from './flags.js';
import { listenerSettings, resolveTunnel, webhookUrlMemory, type TunnelChoice, type TunnelFlags } from './tunnel-flags.js';
import { urlIdentity } from '../tunnel/remembered-url.js';

/** Used by --sandbox when no --phone is given: the demo needs no real number. */
export const SANDBOX_DEMO_PHONE = '6281234567890';

/** The flags `create` reads to build its configuration. */
export interface CreateConfigFlags extends TunnelFlags {
  phone?: string;
  language?: string;
  expiry?: string;
  apiUrl?: string;
  port?: string;
  timeout?: string;
  wait: boolean;
  qrFile?: string;
  sandbox?: boolean;
  open?: boolean;
}

/** What `create` runs on: the flow's checked values, and the tunnel choice the view words its advice by. */
export type CreateConfig = Omit<CreateFlowConfig, 'signal' | 'onEvent' | 'onTrace'> & { tunnel: TunnelChoice; sandbox: boolean; wait: boolean };

/**
 * Flags over the environment over `.env`, each value checked once and typed (a parsed phone number,
 * a URL, a duration in ms), in the order the errors and warnings have always come. The flow checks
 * none of it again.
 */
export async function resolveCreateConfig(flags: CreateConfigFlags, start: CommandStart<Output>): Promise<CreateConfig> {
  const { output, sources } = start;
  const sandbox = flags.sandbox ?? false;
  const apiKey = start.apiKey.value;
  const secret = start.secret.value;

  if (!sandbox && !apiKey) throw noApiKeyError(); // before any prompt: no point asking for a phone first
  // The sandbox runs its own API: a stale SENDTALK_API_URL in .env must not stop it.
  const apiUrl = sandbox ? undefined : checkApiUrl(pick(flags.apiUrl, ENV_VARS.apiUrl, sources), sources, ENV_VARS.apiUrl);
  const asked = flags.phone === undefined && !sandbox ? await askForPhone(output) : undefined;
  // The sandbox's emulator delivers on loopback, so it never uses a tunnel.
  if (sandbox && flags.tunnel !== undefined && flags.tunnel !== 'none') {
    output.warn('--sandbox delivers the webhook on this machine: --tunnel is ignored.');
  }
  const identity = urlIdentity(sandbox ? undefined : apiKey);
  const tunnel: TunnelChoice = sandbox ? { kind: 'none' } : resolveTunnel(flags, sources, 'auto', identity);
  const listener = listenerSettings(sources);
  const numbers = checkValues(flags, start);
  if (sandbox && flags.wait) await warnIfDeliveredTooLate(output, flags, numbers, pick(undefined, ENV_VARS.sandboxDelay, sources).value);
  if (!sandbox && flags.wait && !secret) {
    output.warn(
      `No webhook secret: deliveries will be accepted without checking ${describeSecretHeaders(secretHeadersFor(listener.secretHeader))}. Set ${ENV_VARS.secret} or --secret.`,
    );
  }
  warnIfNotLoopback(output, listener.host, 'The webhook listener');
  if (flags.qrFile !== undefined) {
    // Before anything is created: a typo in the file name must not cost a verification.
    const { checkQrFilePath } = await import('../render/qr-file.js');
    await checkQrFilePath(flags.qrFile);
  }
  if (flags.open && !flags.wait) {
    output.warn('With --no-wait the command ends once the verification is created, and the page with it: it will show only that.');
  }
  const { parsePhone } = await import('../phone.js');
  return {
    phone: asked ?? parsePhone(flags.phone ?? SANDBOX_DEMO_PHONE),
    language: flags.language === 'id' ? 'id' : 'en',
    apiKey,
    apiUrl,
    secret,
    ...listener,
    tunnel,
    rememberWebhookUrl: webhookUrlMemory(tunnel, identity, sources),
    wait: flags.wait,
    sandbox,
    ...numbers,
  };
}

/** The numeric flags (port, expiry, durations) and the app's URL, in the order their errors have always come. */
function checkValues(
  flags: CreateConfigFlags,
  { sources }: CommandStart<Output>,
): Pick<CreateConfig, 'port' | 'expiryMinutes' | 'timeoutMs' | 'apiTimeoutMs' | 'sandboxDelayMs' | 'appUrl'> {
  const port = flags.port === undefined ? undefined : parsePort(flags.port);
  const expiryMinutes =
    flags.expiry === undefined
      ? undefined
      : parseWholeNumber(flags.expiry, { flag: '--expiry', min: 1, max: 1440, hint: 'Pass the minutes until expiry, e.g. --expiry 10.' });
  const timeoutMs =
    flags.timeout === undefined
      ? undefined
      : parseTimeout(flags.timeout, '--timeout', 'Pass how long to wait once the verification is created, e.g. --timeout 2m, or --no-wait to create only.');
  // The link goes into a WhatsApp message: only a web address, never javascript: or a typo.
  const appUrl = envSetting(ENV_VARS.appUrl, sources, (url) => {
    checkHttpUrl(
      url,
      'The app URL',
      `SendTalk puts this link in the WhatsApp message: set ${ENV_VARS.appUrl} to an http(s) URL of your app, e.g. https://example.com/verified.`,
    );
    return url;
  });
  const apiTimeoutMs = envDuration(ENV_VARS.apiTimeout, sources, 'timeout');
  const sandboxDelayMs = envDuration(ENV_VARS.sandboxDelay, sources, 'delay');
  return { port, expiryMinutes, timeoutMs, apiTimeoutMs, sandboxDelayMs, appUrl };
}

/**
 * The sandbox's emulator delivers once, SENDTALK_SANDBOX_DELAY after creating: a delay the wait does not
 * outlast makes a run that can only time out, which deserves a word before it starts, not after.
 */
async function warnIfDeliveredTooLate(
  output: Output,
  flags: CreateConfigFlags,
  numbers: ReturnType<typeof checkValues>,
  delayText: string | undefined,
): Promise<void> {
  const { sandboxDelayMs, timeoutMs, expiryMinutes } = numbers;
  if (sandboxDelayMs === undefined) return;
  const { DEFAULT_EXPIRY_MINUTES } = await import('../emulator/verifications.js');
  const expiryMs = (expiryMinutes ?? DEFAULT_EXPIRY_MINUTES) * 60_000;
  // Whichever ends the wait first is the one to name.
  const limit =
    timeoutMs !== undefined && timeoutMs < expiryMs
      ? { ms: timeoutMs, what: `--timeout ${flags.timeout}` }
      : {
          ms: expiryMs,
          what: `the expiry (${expiryMinutes !== undefined ? `--expiry ${expiryMinutes}` : "the emulator's default"}, ${formatDuration(expiryMs)})`,
        };
  if (sandboxDelayMs > limit.ms) output.warn(`${ENV_VARS.sandboxDelay}=${delayText} is longer than ${limit.what}: the wait ends before the emulator delivers.`);
}

/**
 * A missing --phone is asked for on a terminal (and re-asked, with the reason, when it does not
 * parse); anywhere else it is a usage error naming the flag, so CI never waits on a prompt.
 */
async function askForPhone(output: Output): Promise<PhoneNumber> {
  const missing = new SendtalkVerifyError('usage', 'No phone number.', {
    hint: 'Pass --phone with the country code, e.g. --phone 6281234567890 (or try --sandbox).',
  });
  if (!canPrompt()) throw missing;
  const { parsePhone } = await import('../phone.js');
  for (let attempt = 0; attempt < 3; attempt++) {
    const answer = await ask('Phone number to verify, with country code (e.g. +62 812-3456-7890): ');
    if (!answer) throw missing;
    try {
      return parsePhone(answer);
    } catch (error) {
      if (!(error instanceof SendtalkVerifyError)) throw error;
      output.error(error.message, error.hint?.replace('--phone ', ''));
    }
  }
  throw missing;
}

/**
 * Whether a question may be asked: only when both stdin and stderr are terminals and not in CI.
 * A CI job or a pipe must get an error naming the flag, never a prompt that waits forever.
 */
function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY) && process.env.CI === undefined;
}

/**
 * Asks one question; resolves with the trimmed answer, or undefined on Ctrl-D (end of input).
 * Ctrl-C at the prompt is an interruption like anywhere else: it rejects with exit code 130.
 * readline loads only here, when a question is asked.
 */
async function ask(question: string): Promise<string | undefined> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  return new Promise<string | undefined>((resolve, reject) => {
    // readline/promises leaves a pending question unsettled when the interface closes, and an empty
    // event loop would then end the process with exit 0: settle it from the events instead.
    rl.on('SIGINT', () => {
      reject(new SendtalkVerifyError('interrupted', 'Interrupted (SIGINT).'));
      rl.close();
    });
    rl.on('close', () => resolve(undefined)); // Ctrl-D; a no-op after an answer or Ctrl-C
    rl.question(question).then(
      (answer) => {
        resolve(answer.trim());
        rl.close();
      },
      () => resolve(undefined),
    );
  });
}
