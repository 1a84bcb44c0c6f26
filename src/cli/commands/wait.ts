import type { Command } from 'commander';
import { parseTimeout } from '../../duration.js';
import { examples, exitCodeHelp, pathArgument, PROGRAM_OPTIONS_NOTE, quietOption } from '../flags.js';
import { openOutput, type CommandRunner, type RunContext } from '../start-command.js';
import { interruptOnSignals } from '../signals.js';

interface WaitFlags {
  timeout?: string;
  quiet?: boolean;
}

/** `wait FILE`: the other half of `emulator --ready-file`, so a script needs no polling loop. */
export function registerWait(program: Command, runner: CommandRunner, ctx: RunContext): void {
  program
    .command('wait')
    .description('wait until a server started with --ready-file FILE is listening, then print its URL')
    .addArgument(pathArgument('<file>', 'the ready file given to emulator --ready-file'))
    .option('--timeout <duration>', 'give up after this long, exit 3 (default: 30s)')
    .addOption(quietOption('print nothing on stderr'))
    .addHelpText(
      'after',
      PROGRAM_OPTIONS_NOTE +
        examples([
          [
            'sendtalk-verify emulator --port 4010 --ready-file emulator.ready &\n    $ export SENDTALK_API_URL=$(sendtalk-verify wait emulator.ready)',
            'start the emulator in the background and go on once it answers',
          ],
        ]) +
        exitCodeHelp(),
    )
    .action((file: string, _flags: WaitFlags, cmd: Command) => runner(() => runWait(file, cmd.optsWithGlobals<WaitFlags>(), ctx)));
}

async function runWait(file: string, flags: WaitFlags, ctx: RunContext): Promise<number> {
  const output = openOutput(flags, ctx);
  const timeoutMs = parseTimeout(flags.timeout ?? '30s', '--timeout');
  const interrupt = interruptOnSignals();
  const { waitForReadyFile } = await import('../../ready-file.js');
  try {
    const url = await waitForReadyFile(file, timeoutMs, interrupt.signal);
    output.result(url);
    return 0;
  } finally {
    interrupt.dispose();
  }
}
