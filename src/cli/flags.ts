import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { ENV_VARS } from '../config.js';
import { EXIT_CODES, SendtalkVerifyError } from '../errors.js';
import { HEADER_NAME } from '../webhook/secret.js';
import type { Output } from './output.js';

/*
 * The command line's shared vocabulary: the options several commands take, the parsers that check
 * a flag's value before anything starts, the help texts every command ends with, and where each
 * flag of earlier versions went. A command's own options live with the command.
 */

/** `--json` and `-q/--quiet` (each command's own, since what they keep differs by command), and the program-wide `--debug` and `--dotenv`. */
export interface OutputFlags {
  json?: boolean;
  debug?: boolean;
  quiet?: boolean;
  dotenv?: string;
}

/** `--secret`. */
export interface SecretFlags {
  secret?: string;
}

export function jsonOption(description: string): Option {
  return new Option('--json', description);
}

export function quietOption(description: string): Option {
  return new Option('-q, --quiet', description);
}

export function secretOption(description = `webhook secret from Verification Config (env ${ENV_VARS.secret})`): Option {
  return new Option('--secret <secret>', description);
}

/** `--json` then `-q/--quiet`, the order every command lists them in. */
export function addOutputOptions(command: Command, texts: { json: string; quiet: string }): Command {
  return command.addOption(jsonOption(texts.json)).addOption(quietOption(texts.quiet));
}

/**
 * The options whose meaning is the same for every command, declared once on the program: commander
 * reads them before or after the command's name. `--env-file` is not among them: Node claims it
 * anywhere on its command line (nodejs/node#54232), so it never reliably reaches the tool.
 */
export function addProgramOptions(program: Command): Command {
  return program
    .option('--debug', 'show traces (HTTP, tunnel, requests) and stack traces; secrets stay masked')
    .addOption(pathOption('--dotenv <path>', 'read configuration from this .env file instead of ./.env'));
}

/** Where each flag of earlier versions went: an unknown option that is one of these gets its new spelling. */
const MOVED_FLAGS: Readonly<Record<string, string>> = {
  '--public-url': '--public-url is now --tunnel <url>, e.g. --tunnel https://abc.ngrok.app.',
  '--subdomain': `--subdomain is now the environment variable ${ENV_VARS.subdomain}.`,
  '--tunnel-host': `--tunnel-host is now the environment variable ${ENV_VARS.tunnelHost}.`,
  '--tunnel-timeout': `--tunnel-timeout is now the environment variable ${ENV_VARS.tunnelTimeout}.`,
  '--api-timeout': `--api-timeout is now the environment variable ${ENV_VARS.apiTimeout}.`,
  '--sandbox-delay': `--sandbox-delay is now the environment variable ${ENV_VARS.sandboxDelay}.`,
  '--app-url': `--app-url is now the environment variable ${ENV_VARS.appUrl}.`,
  '--secret-header': `--secret-header is now the environment variable ${ENV_VARS.secretHeader}.`,
  '--host': `--host of create and listen is now the environment variable ${ENV_VARS.listenHost}.`,
  '--path': `--path is now the environment variable ${ENV_VARS.webhookPath}.`,
  '--log-fsync': `--log-fsync is now the environment variable ${ENV_VARS.logFsync}=1.`,
  '--request-timeout': `--request-timeout is now the environment variable ${ENV_VARS.requestTimeout}.`,
  '--oversize-bytes': '--oversize-bytes is gone: --check always sends 2 MiB.',
  '--ui': '--ui is now --open with BROWSER=none: the page is served and its URL printed, no browser opened.',
  '--env-file': '--env-file is now --dotenv <path> (Node claims --env-file for itself).',
  '--qr': `--qr is now the environment variable ${ENV_VARS.qr}=always.`,
  '--no-qr': `--no-qr is now the environment variable ${ENV_VARS.qr}=never.`,
  '--qr-background': `--qr-background is now the environment variable ${ENV_VARS.qr}=dark or ${ENV_VARS.qr}=light.`,
  '--response-aliases': '--response-aliases is now the emulator\'s control API: PUT /_emulator/shape {"responseAliases":1}.',
  '--response-nested': '--response-nested is now the emulator\'s control API: PUT /_emulator/shape {"responseNested":true}.',
  '--webhook-shape': '--webhook-shape is now the emulator\'s control API: PUT /_emulator/shape {"webhook":"wrapped"}.',
  '--webhook-status': '--webhook-status is now the emulator\'s control API: PUT /_emulator/shape {"webhookStatus":"failed"}.',
};

/** The new spelling of a flag of earlier versions, from commander's "unknown option '--x'" message. */
export function movedFlagHint(message: string): string | undefined {
  const flag = /unknown option '([^'=]+)/.exec(message)?.[1];
  return flag === undefined ? undefined : MOVED_FLAGS[flag];
}

export function exitCodeHelp(): string {
  const rows = EXIT_CODES.map(({ code, meaning }) => `  ${String(code).padEnd(4)} ${meaning}`);
  return `\nExit codes:\n${rows.join('\n')}\n`;
}

/** One line per variable: the name, then what it sets. */
export function envRows(rows: ReadonlyArray<[string, string]>): string {
  return rows.map(([name, what]) => `  ${name.padEnd(24)} ${what}\n`).join('');
}

export function envHelp(extra: ReadonlyArray<[string, string]> = []): string {
  return `\nEnvironment (flags win over the environment, which wins over ./.env):\n${envRows([
    [ENV_VARS.apiKey, 'API key (--api-key)'],
    [ENV_VARS.secret, 'webhook secret from Verification Config (--secret)'],
    [ENV_VARS.apiUrl, 'API base URL (--api-url)'],
    ...extra,
    ['NO_COLOR', 'turn colours off'],
  ])}`;
}

export function examples(lines: ReadonlyArray<[string, string]>): string {
  return `\nExamples:\n${lines.map(([cmd, what]) => `  $ ${cmd}\n      ${what}`).join('\n')}\n`;
}

/** The line every command's help ends its option list with: the program-wide options are listed once, in `sendtalk-verify --help`. */
export const PROGRAM_OPTIONS_NOTE = '\nAlso --debug and --dotenv <path>, for every command (sendtalk-verify --help).\n';

/** What a whole-number flag accepts, and what its error says. */
export interface WholeNumberRule {
  /** The flag's name, e.g. `--expiry`, for the error. */
  flag: string;
  min: number;
  max: number;
  /** The error's hint: an example of a good value. */
  hint: string;
  /** What the value is, when "a whole number from min to max" says it worse (e.g. "a port number"). */
  noun?: string;
}

/** Parses a flag that takes a whole number within [min, max]; the error names the flag and an example. */
export function parseWholeNumber(text: string, rule: WholeNumberRule): number {
  const { flag, min, max, hint, noun } = rule;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) {
    const what = noun ?? (max === Number.MAX_SAFE_INTEGER ? `a whole number from ${min} up` : `a whole number from ${min} to ${max}`);
    throw new SendtalkVerifyError('usage', `${flag} "${text}" is not ${what}.`, { hint });
  }
  return n;
}

/** `--port`: 0 means "pick a free one", which is also what omitting it does. */
export function parsePort(text: string): number {
  return parseWholeNumber(text, {
    flag: '--port',
    min: 0,
    max: 65535,
    hint: 'Pass a port from 1 to 65535, or omit --port (or pass 0) to pick a free one.',
    noun: 'a port number',
  });
}

/** SENDTALK_SECRET_HEADER: refused before anything starts, since Node would throw on the first request. */
export function parseHeaderName(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!HEADER_NAME.test(text)) {
    throw new SendtalkVerifyError('usage', `"${text}" is not a valid header name.`, {
      hint: `Use letters, digits and - only, e.g. ${ENV_VARS.secretHeader}=X-Secret-Key.`,
    });
  }
  return text;
}

/** Warns when a server is told to bind beyond loopback: other machines can then reach it. */
export function warnIfNotLoopback(output: Output, host: string | undefined, what: string): void {
  if (host && !/^(127\.|::1$|localhost$)/.test(host)) output.warn(`${what} binds to ${host}, not loopback: other machines can reach it.`);
}

/** `-l, --language en|id`, in either case (`-l ID` is what a person types after reading "id"). */
export function languageOption(description: string): Option {
  const choices = ['en', 'id'];
  return new Option('-l, --language <code>', description).choices(choices).argParser((value: string) => {
    const code = value.trim().toLowerCase();
    if (!choices.includes(code)) throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')}.`);
    return code;
  });
}

/**
 * A flag or argument that names a file. The one rule for all of them: an empty value names no
 * file, and taking it as "no file" would silently turn the feature off (`--log ''` logging nothing).
 */
export function pathOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser(nonEmptyPath(flags.replace(/ <.*$/, '').replace(/^-\w, /, '')));
}

/** `pathOption` for a command's argument, e.g. `wait <file>`. */
export function pathArgument(name: string, description: string): Argument {
  return new Argument(name, description).argParser(nonEmptyPath(name.replace(/[<>]/g, '')));
}

/**
 * An address to bind (emulator `--host`, SENDTALK_LISTEN_HOST). Empty would bind every interface
 * (Node's default) while the tool prints `http://:PORT` and calls it local: refused, as is anything
 * with a space or a scheme.
 */
function isBindableHost(value: string): boolean {
  return value.trim() !== '' && !/[\s/]/.test(value);
}

export function hostOption(description: string): Option {
  return new Option('--host <address>', description).argParser((value: string) => {
    if (!isBindableHost(value)) throw new InvalidArgumentError('--host needs an address to bind, e.g. 127.0.0.1, 0.0.0.0 or ::1.');
    return value;
  });
}

/** SENDTALK_LISTEN_HOST: the webhook listener's address, by the emulator's `--host` rule. */
export function checkListenHost(value: string): string {
  if (!isBindableHost(value)) {
    throw new SendtalkVerifyError('usage', `"${value}" is not an address to bind.`, {
      hint: `Set ${ENV_VARS.listenHost} to an address of this machine, e.g. 127.0.0.1, 0.0.0.0 or ::1.`,
    });
  }
  return value;
}

/**
 * SENDTALK_WEBHOOK_PATH: the webhook listener's path. A `?`, `#`, space or control character would
 * make a URL that never reaches it (the query and fragment are not part of the path a request is
 * matched on).
 */
export function checkWebhookPath(value: string): string {
  if (value === '' || /[?#\s\u0000-\u001f\u007f]/.test(value)) {
    throw new SendtalkVerifyError('usage', `"${value}" is not a URL path for the webhook.`, {
      hint: `Set ${ENV_VARS.webhookPath} to a path without ?, # or spaces, e.g. /webhook or /hooks/sendtalk.`,
    });
  }
  return value;
}

function nonEmptyPath(flag: string): (value: string) => string {
  return (value) => {
    if (value === '') throw new InvalidArgumentError(`${flag} needs a path: an empty one names no file.`);
    return value;
  };
}
