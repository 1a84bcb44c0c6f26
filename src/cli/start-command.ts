import { ENV_VARS, loadConfigSources, pick, pickSecret, type ConfigSource, type ConfigSources } from '../config.js';
import type { OutputFlags, SecretFlags } from './flags.js';
import { NdjsonOutput, Output } from './output.js';

/**
 * What a running command shares with the top level (src/cli/main.ts), which reports an error the
 * command throws: the command's Output (so the error honours --json and masks the secrets) and
 * what the argument parser saw. The exit code is not here: the command returns it.
 */
export interface RunContext {
  output?: Output;
  /** `--json` was given: a usage error found by the argument parser is a JSON document too. */
  json?: 'document' | 'ndjson';
  /** The command's name, as given (for titles of CI annotations). */
  command?: string;
}

/** Runs a command's body and records its exit code; commands set `ctx.output` as soon as they have one. */
export type CommandRunner = (run: () => Promise<number>) => Promise<void>;

/** A value read from the configuration, and where it came from (doctor reports the source). */
export interface Configured {
  value: string | undefined;
  source: ConfigSource;
}

/** What every command starts with. */
export interface CommandStart<O extends Output> {
  output: O;
  sources: ConfigSources;
  secret: Configured;
  /** `--api-key`, or with `apiKeyFromEnv` also SENDTALK_API_KEY from the environment or .env. */
  apiKey: Configured;
}

export interface StartOptions {
  /** Under --json, stdout is NDJSON (listen, emulator), an error included. */
  ndjson?: boolean;
  /** The command calls SendTalk (create, doctor) or names its tunnel after the key (listen), so the key may come from the environment too. */
  apiKeyFromEnv?: boolean;
}

/**
 * The command's Output, handed to the top level at once: from here on a thrown error honours
 * --json and is masked. Used on its own by a command that reads no configuration (wait).
 */
export function openOutput(flags: Omit<OutputFlags, 'dotenv'>, ctx: RunContext, ndjson = false): Output {
  const options = { json: flags.json, debug: flags.debug, quiet: flags.quiet };
  const output = ndjson ? new NdjsonOutput(options) : new Output(options);
  ctx.output = output;
  return output;
}

/**
 * The first steps of every command that reads configuration: its Output, the configuration
 * (flags over the environment over .env), and the API key and webhook secret, both masked before
 * the command writes anything.
 */
export function startCommand(
  flags: OutputFlags & SecretFlags & { apiKey?: string },
  ctx: RunContext,
  options: StartOptions & { ndjson: true },
): CommandStart<NdjsonOutput>;
export function startCommand(flags: OutputFlags & SecretFlags & { apiKey?: string }, ctx: RunContext, options?: StartOptions): CommandStart<Output>;
export function startCommand(flags: OutputFlags & SecretFlags & { apiKey?: string }, ctx: RunContext, options: StartOptions = {}): CommandStart<Output> {
  const output = openOutput(flags, ctx, options.ndjson);
  const sources = loadConfigSources({ envFile: flags.dotenv });
  // Without apiKeyFromEnv only the flag counts: the emulator and `listen` must not use a key they were never given.
  const apiKey = pick(flags.apiKey, options.apiKeyFromEnv ? ENV_VARS.apiKey : undefined, sources);
  const secret = pickSecret(flags.secret, sources);
  // The environment's key is masked all the same: it can come back to a listener in a query string.
  output.protect(apiKey.value, pick(undefined, ENV_VARS.apiKey, sources).value, secret.value);
  return { output, sources, secret, apiKey };
}
