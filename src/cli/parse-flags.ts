import { Argument, InvalidArgumentError, Option } from 'commander';
import { SendtalkVerifyError } from '../errors.js';
import { HEADER_NAME } from '../http/client.js';
import type { Output } from './output.js';

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
  return parseWholeNumber(text, { flag: '--port', min: 0, max: 65535, hint: 'Pass a port from 1 to 65535, or omit --port (or pass 0) to pick a free one.', noun: 'a port number' });
}

/** `--secret-header`: refused before anything starts, since Node would throw on the first request. */
export function parseHeaderName(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!HEADER_NAME.test(text)) {
    throw new SendtalkVerifyError('usage', `--secret-header "${text}" is not a valid header name.`, {
      hint: 'Use letters, digits and - only, e.g. --secret-header X-Secret-Key.',
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
 * `--host`: an address to bind. Empty would bind every interface (Node's default) while the tool
 * prints `http://:PORT` and calls it local: refused, as is anything with a space or a scheme.
 */
export function hostOption(description: string): Option {
  return new Option('--host <address>', description).argParser((value: string) => {
    if (value.trim() === '' || /[\s/]/.test(value)) throw new InvalidArgumentError('--host needs an address to bind, e.g. 127.0.0.1, 0.0.0.0 or ::1.');
    return value;
  });
}

/**
 * `--path`: the webhook listener's path. A `?`, `#`, space or control character would make a URL
 * that never reaches it (the query and fragment are not part of the path a request is matched on).
 */
export function webhookPathOption(description: string): Option {
  return new Option('--path <path>', description).argParser((value: string) => {
    if (value === '' || /[?#\s\u0000-\u001f\u007f]/.test(value)) {
      throw new InvalidArgumentError('--path needs a URL path without ?, # or spaces, e.g. /webhook or /hooks/sendtalk.');
    }
    return value;
  });
}

function nonEmptyPath(flag: string): (value: string) => string {
  return (value) => {
    if (value === '') throw new InvalidArgumentError(`${flag} needs a path: an empty one names no file.`);
    return value;
  };
}
