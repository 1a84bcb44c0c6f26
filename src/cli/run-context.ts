import type { Output } from './output.js';

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
