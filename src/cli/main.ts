import { fstatSync, statSync, writeSync } from 'node:fs';
import { Command, CommanderError, Option, type OutputConfiguration } from 'commander';
import { isSendtalkVerifyError, SendtalkVerifyError } from '../errors.js';
import { VERSION } from '../version.js';
import { exitWhenWritten } from './exit-when-written.js';
import { addProgramOptions, exitCodeHelp, movedFlagHint } from './flags.js';
import { NdjsonOutput, Output } from './output.js';
import { stopSignal } from './signals.js';
import { githubActions } from './github-actions.js';
import { loadColours } from '../render/style.js';
import { registerCreate } from './commands/create.js';
import { registerListen } from './commands/listen.js';
import { registerEmulator } from './commands/emulator.js';
import { registerTrigger } from './commands/trigger.js';
import { registerDoctor } from './commands/doctor.js';
import { registerWait } from './commands/wait.js';
import type { CommandRunner, RunContext } from './start-command.js';
import { sentence } from '../render/text.js';

/** Commands whose `--json` output is NDJSON (see NdjsonOutput). */
const NDJSON_COMMANDS = new Set(['listen', 'emulator']);

/**
 * The CLI's entry point and the only place that exits. Commands return an exit code or throw a
 * `SendtalkVerifyError`; this function prints the error once, with its hint, and exits.
 */
export async function main(argv: string[]): Promise<void> {
  const ctx: RunContext = { json: jsonRequested(argv.slice(2)), command: argv.slice(2).find((arg) => !arg.startsWith('-')) };
  process.on('unhandledRejection', (reason) => fail(ctx, reason));
  process.on('uncaughtException', (error) => {
    // Stopping after the terminal or the reader went away (SIGHUP, `kill` of a pipeline): a message
    // that cannot be shown must not turn the stop into a failure; the cleanup goes on.
    if (stopSignal() !== undefined && isGoneOutput(error)) return;
    fail(ctx, error);
  });
  // NDJSON lines are written a turn at a time (Output.line): none may be left behind by an exit.
  process.on('exit', () => ctx.output?.flush());

  let exitCode = 0;
  const runner: CommandRunner = async (run) => {
    await loadColours();
    exitCode = await run();
  };
  const program = buildProgram(runner, ctx, argv.slice(2));
  try {
    await program.parseAsync(argv);
  } catch (error) {
    return fail(ctx, error);
  }
  ctx.output?.flush();
  exitWhenWritten(exitCode);
}

/**
 * The program with its commands. Given the command line (`args`), only the command it runs (or asks
 * help about) is built in full; the others are `ListedCommand`s, which is all `--help` and
 * `--version` need. Without `args`, every command is built.
 */
export function buildProgram(runner: CommandRunner, ctx: RunContext, args?: string[]): Command {
  const program = new ProgramCommand('sendtalk-verify', args === undefined ? undefined : commandWords(args))
    .description('Create SendTalk WhatsApp verifications, show the link and QR code, and wait for the verified webhook.')
    .version(VERSION, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput(helpOutput())
    .addHelpText('after', `\nStart with the offline demo:\n  $ npx sendtalk-verify create --sandbox\n${exitCodeHelp()}`);
  addProgramOptions(program);
  registerCreate(program, runner, ctx);
  registerListen(program, runner, ctx);
  registerTrigger(program, runner, ctx);
  registerEmulator(program, runner, ctx);
  registerDoctor(program, runner, ctx);
  registerWait(program, runner, ctx);
  return program;
}

/**
 * The words of the command line before `--` that are not options: the command it runs (or asks help
 * about, `help create`) is among them. Every command named there is built in full, so that an
 * option's value that happens to be a command's name (`--dotenv listen create`) costs only time.
 */
function commandWords(args: string[]): Set<string> {
  const end = args.indexOf('--');
  return new Set((end === -1 ? args : args.slice(0, end)).filter((arg) => !arg.startsWith('-')));
}

/** Builds the commands named in `full` as commander does, and every other one as a `ListedCommand`. */
class ProgramCommand extends Command {
  constructor(
    name: string,
    private readonly full: Set<string> | undefined,
  ) {
    super(name);
  }

  override createCommand(name: string): Command {
    return this.full === undefined || this.full.has(name) || name === 'help' ? new Command(name) : new ListedCommand(name);
  }
}

/**
 * A command that is listed in the top-level help but not run: its name, description and arguments
 * are kept, its options only counted (the help writes `[options]` after a command that has some).
 * Building the options of every command was a quarter of what `--version` cost over a bare `node`.
 */
class ListedCommand extends Command {
  override option(): this {
    return this.countOption();
  }

  override addOption(): this {
    return this.countOption();
  }

  override addHelpText(): this {
    return this;
  }

  private countOption(): this {
    const options = this.options as Option[];
    if (options.length === 0) options.push(LISTED_OPTION);
    return this;
  }
}

const LISTED_OPTION = new Option('--listed');

// ─── Help and version ──────────────────────────────────────────────────────────────────────

/**
 * How commander writes help, the version and its usage errors: straight to the file descriptor,
 * synchronously. `process.stdout` and `process.stderr` would first load Node's stream modules, which
 * cost `--help` and `--version` a tenth of a bare `node` on Node 24, to write a few lines. A terminal
 * keeps commander's own width and colour rules (they read the stream), the rest is plain 80 columns.
 */
function helpOutput(): OutputConfiguration {
  return {
    writeOut: (text) => writeWhole(1, text),
    writeErr: (text) => writeWhole(2, text),
    ...(mayBeTerminal(1) ? {} : { getOutHelpWidth: () => 80, getOutHasColors: () => false }),
    ...(mayBeTerminal(2) ? {} : { getErrHelpWidth: () => 80, getErrHasColors: () => false }),
  };
}

/** Set when a write fell back to the stream (see `writeWhole`): the exit must then wait for it. */
let helpWentThroughStream = false;

function writeWhole(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let at = 0;
  try {
    while (at < bytes.length) at += writeSync(fd, bytes, at);
  } catch {
    // The rest of a pipe made non-blocking by its reader (EAGAIN) goes as a stream writes it; a
    // reader that went away fails there as it would have anyway.
    helpWentThroughStream = true;
    (fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(at));
  }
}

/**
 * False when `fd` is certainly no terminal: a file, a pipe, a socket, or /dev/null (what CI and
 * scripts give). Told by `fstat`, which loads nothing, unlike `tty.isatty` (it loads `net`).
 */
function mayBeTerminal(fd: number): boolean {
  if (process.platform === 'win32') return true;
  try {
    const stat = fstatSync(fd);
    if (!stat.isCharacterDevice()) return false;
    const devNull = statSync('/dev/null');
    return stat.rdev !== devNull.rdev;
  } catch {
    return true;
  }
}

function exitAfterHelp(code: number): void {
  if (helpWentThroughStream) return exitWhenWritten(code);
  process.exit(code);
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
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return exitAfterHelp(0);
    // No command at all: commander has just shown the help, which says everything.
    if (error.code === 'commander.help') return exitAfterHelp(2);
    // Otherwise commander printed what was wrong (with a "Did you mean" suggestion when it has one);
    // a flag of earlier versions gets its new spelling first.
    const moved = error.code === 'commander.unknownOption' ? movedFlagHint(error.message) : undefined;
    const hint = moved ?? 'Run with --help to see the commands and options.';
    process.stderr.write(`  ${hint}\n`);
    const output = ctx.json === 'ndjson' ? new NdjsonOutput({ json: true }) : new Output({ json: ctx.json !== undefined });
    const message = error.message.replace(/^error: /, '');
    const text = sentence(message);
    githubActions(output)?.error(`${text} ${hint}`, `sendtalk-verify${ctx.command ? ` ${ctx.command}` : ''}`);
    if (ctx.json) {
      output.document({ status: 'error', error: { category: 'usage', message: text, hint, code: error.code, exitCode: 2 } });
      output.flush();
    }
    return exitWhenWritten(2);
  }
  // `--help | head -1`: help and version are all there is to write, and the reader has what it wanted.
  if (ctx.output === undefined && isClosedPipe(error)) process.exit(0);
  // An error before the command made its Output (a flag's own parser threw) still honours --json.
  const output = ctx.output ?? (ctx.json === 'ndjson' ? new NdjsonOutput({ json: true }) : new Output({ json: ctx.json !== undefined }));
  const known = isSendtalkVerifyError(error)
    ? error
    : isClosedPipe(error)
      ? new SendtalkVerifyError('internal', 'Stopped: the program reading the output went away (broken pipe).', {
          hint: 'Send the output to a file, or keep its reader running; `listen --max-events N` stops by itself.',
          cause: error,
        })
      : new SendtalkVerifyError('internal', `Unexpected error: ${(error as Error)?.message ?? String(error)}`, {
          hint: 'Run again with --debug for details, and report it if it persists.',
          cause: error,
        });
  output.error(known.message, known.hint);
  const actions = githubActions(output);
  if (actions) {
    const title = `sendtalk-verify${ctx.command ? ` ${ctx.command}` : ''}`;
    actions.error(known.hint ? `${known.message} ${known.hint}` : known.message, title);
    actions.summary([`### ${title}`, '', `❌ ${known.message}`, ...(known.hint ? ['', known.hint] : []), '', `Exit code ${known.exitCode}.`].join('\n'));
  }
  if (output.debug && error instanceof Error && error.stack) output.trace(error.stack);
  if (output.json) {
    // What the command had already made (create: the verification) stays in the document.
    const made = known.details?.verification;
    output.document({
      status: 'error',
      ...(typeof made === 'object' && made !== null ? made : {}),
      error: { category: known.category, message: known.message, hint: known.hint, code: known.code, field: known.field, exitCode: known.exitCode },
    });
  }
  ctx.output?.flush();
  exitWhenWritten(known.exitCode);
}

/** Whether the command line asks for `--json` (before any `--`), and which kind of output that is. */
function jsonRequested(args: string[]): RunContext['json'] {
  const end = args.indexOf('--');
  const given = end === -1 ? args : args.slice(0, end);
  if (!given.includes('--json')) return undefined;
  const command = given.find((arg) => !arg.startsWith('-'));
  return command !== undefined && NDJSON_COMMANDS.has(command) ? 'ndjson' : 'document';
}

/** A write to a pipe or terminal that is gone: EPIPE for a pipe, EIO for a hung-up terminal. */
function isGoneOutput(error: unknown): boolean {
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  return (code === 'EPIPE' || code === 'EIO') && syscall === 'write';
}

/** A write to a pipe whose reader has gone: `listen --json | head -1` once head has its line. */
function isClosedPipe(error: unknown): boolean {
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  return code === 'EPIPE' && syscall === 'write';
}
