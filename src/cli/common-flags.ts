import { Option, type Command } from 'commander';
import { ENV_VARS } from '../config.js';
import { DEFAULT_SECRET_HEADER } from '../webhook/secret.js';
import { dotenvOption, envFileOption, type DotenvFlags } from './dotenv-flag.js';
import { parseHeaderName } from './parse-flags.js';

/*
 * The flags most commands share, declared here once. Their words differ by command (what --json
 * prints, what --quiet keeps), so each command passes its own description; the flag, its value and
 * its parser do not differ.
 */

/** `--json`, `--debug`, `-q/--quiet`, and the .env flags. */
export interface OutputFlags extends DotenvFlags {
  json?: boolean;
  debug?: boolean;
  quiet?: boolean;
}

/** `--secret` and `--secret-header`. */
export interface SecretFlags {
  secret?: string;
  secretHeader?: string;
}

/** What a command says its output flags do. */
export interface OutputFlagTexts {
  json: string;
  debug: string;
  quiet: string;
}

export function jsonOption(description: string): Option {
  return new Option('--json', description);
}

export function debugOption(description: string): Option {
  return new Option('--debug', description);
}

export function quietOption(description: string): Option {
  return new Option('-q, --quiet', description);
}

export function secretOption(description = `webhook secret from Verification Config (env ${ENV_VARS.secret})`): Option {
  return new Option('--secret <secret>', description);
}

/** `--secret-header`: checked as it is parsed, so a bad name stops the command before it starts. */
export function secretHeaderOption(description = `header that carries the secret (default: ${DEFAULT_SECRET_HEADER})`): Option {
  return new Option('--secret-header <name>', description).argParser(parseHeaderName);
}

/** `--dotenv` and its hidden `--env-file` spelling. */
export function addDotenvOptions(command: Command): Command {
  return command.addOption(dotenvOption()).addOption(envFileOption());
}

/** `--debug` then `-q/--quiet`, the order every command lists them in. */
export function addVerbosityOptions(command: Command, texts: Omit<OutputFlagTexts, 'json'>): Command {
  return command.addOption(debugOption(texts.debug)).addOption(quietOption(texts.quiet));
}

/** `--json`, the .env flags, `--debug` and `-q/--quiet`, in that order (listen, trigger, emulator). */
export function addOutputOptions(command: Command, texts: OutputFlagTexts): Command {
  return addVerbosityOptions(addDotenvOptions(command.addOption(jsonOption(texts.json))), texts);
}
