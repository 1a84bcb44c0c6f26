import { Command, CommanderError } from 'commander';
import { setFlagsFromString } from 'node:v8';
import { isSendtalkVerifyError, SendtalkVerifyError } from '../errors.js';
import { VERSION } from '../version.js';
import { exitWhenWritten } from './exit-when-written.js';
import { exitCodeHelp } from './help.js';
import { Output } from './output.js';
import { registerCreate } from './commands/create.js';
import { registerListen } from './commands/listen.js';
import { registerEmulator } from './commands/emulator.js';
import { registerTrigger } from './commands/trigger.js';
import { registerDoctor } from './commands/doctor.js';

/** What a command leaves for the top level: its Output (for --json and masking) and exit code. */
export interface RunContext {
  output?: Output;
}

/** Runs a command's body and records its exit code; commands set `ctx.output` as soon as they have one. */
export type CommandRunner = (run: () => Promise<number>) => Promise<void>;

/**
 * The CLI's entry point and the only place that exits. Commands return an exit code or throw a
 * `SendtalkVerifyError`; this function prints the error once, with its hint, and exits.
 */
export async function main(argv: string[]): Promise<void> {
  const ctx: RunContext = {};
  process.on('unhandledRejection', (reason) => fail(ctx, reason));
  process.on('uncaughtException', (error) => fail(ctx, error));
  // NDJSON lines are written a turn at a time (Output.line): none may be left behind by an exit.
  process.on('exit', () => ctx.output?.flush());

  let exitCode = 0;
  const runner: CommandRunner = async (run) => {
    // undici parses HTTP with WebAssembly, and V8's optimising compile of that module alone lifts the
    // CLI's peak memory from about 57 to 93 MB. The baseline compiler is plenty for the few requests a
    // command makes. Set here, in the CLI only (the library must not change its host's V8 flags), and
    // only once a command runs: node:v8 costs `--help` 2 ms to load.
    setFlagsFromString('--liftoff-only');
    exitCode = await run();
  };
  const program = buildProgram(runner, ctx);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    return fail(ctx, error);
  }
  ctx.output?.flush();
  exitWhenWritten(exitCode);
}

export function buildProgram(runner: CommandRunner, ctx: RunContext): Command {
  const program = new Command('sendtalk-verify')
    .description('Create SendTalk WhatsApp verifications, show the link and QR code, and wait for the verified webhook.')
    .version(VERSION, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .addHelpText('after', `\nStart with the offline demo:\n  $ npx sendtalk-verify create --sandbox\n${exitCodeHelp()}`);
  registerCreate(program, runner, ctx);
  registerListen(program, runner, ctx);
  registerTrigger(program, runner, ctx);
  registerEmulator(program, runner, ctx);
  registerDoctor(program, runner, ctx);
  return program;
}

/** Set once the process is on its way out: a failure while waiting for output must not report twice. */
let exiting = false;

function fail(ctx: RunContext, error: unknown): void {
  if (exiting) {
    // A second failure while the output drains (its reader went away): nothing more can be shown.
    process.exit(process.exitCode ?? 1);
  }
  exiting = true;
  if (error instanceof CommanderError) {
    // --help and --version end the parse with a "success" error.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return exitWhenWritten(0);
    // No command at all: commander has just shown the help, which says everything.
    if (error.code === 'commander.help') return exitWhenWritten(2);
    // Otherwise commander printed what was wrong (with a "Did you mean" suggestion when it has one).
    process.stderr.write('  Run with --help to see the commands and options.\n');
    return exitWhenWritten(2);
  }
  const output = ctx.output ?? new Output();
  const known = isSendtalkVerifyError(error) ? error
    : isClosedPipe(error) ? new SendtalkVerifyError('internal', 'Stopped: the program reading the output went away (broken pipe).', {
        hint: 'Send the output to a file, or keep its reader running; `listen --max-events N` stops by itself.',
        cause: error,
      })
    : new SendtalkVerifyError('internal', `Unexpected error: ${(error as Error)?.message ?? String(error)}`, {
        hint: 'Run again with --debug for details, and report it if it persists.',
        cause: error,
      });
  output.error(known.message, known.hint);
  if (output.debug && error instanceof Error && error.stack) output.trace(error.stack);
  if (output.json) {
    output.document({
      status: 'error',
      error: { category: known.category, message: known.message, hint: known.hint, code: known.code, field: known.field, exitCode: known.exitCode },
    });
  }
  ctx.output?.flush();
  exitWhenWritten(known.exitCode);
}

/** A write to a pipe whose reader has gone: `listen --json | head -1` once head has its line. */
function isClosedPipe(error: unknown): boolean {
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  return code === 'EPIPE' && syscall === 'write';
}
