import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { commandsIn, docFiles, helpCommands, helpOptions, readDoc, type DocCommand } from '../helpers/docs.js';

/**
 * Every command line of README.md and docs/ works as written: its command exists and each option it
 * uses is one that command's `--help` (of the built CLI, what a user runs) lists. And docs/cli.md,
 * the one place options are described, covers each command's options and names no other.
 */
const TOP = '(top level)';
const optionsOf = new Map<string, Set<string>>();
let commands = new Set<string>();

beforeAll(async () => {
  const top = await runCli(['--help']);
  expect(top.code).toBe(0);
  commands = helpCommands(top.stdout);
  optionsOf.set(TOP, helpOptions(top.stdout));
  for (const name of commands) {
    if (name === 'help') continue;
    const help = await runCli([name, '--help']);
    expect(help.code, `${name} --help`).toBe(0);
    optionsOf.set(name, helpOptions(help.stdout));
  }
});

const documented: DocCommand[] = docFiles().flatMap((file) => commandsIn(file, readDoc(file)));

/** What is wrong with one documented command line, if anything. */
function problemsOf(doc: DocCommand): string[] {
  const [first = '', ...rest] = doc.args;
  const command = first.startsWith('-') ? TOP : first;
  const words = first.startsWith('-') ? doc.args : rest;
  if (!commands.has(command) && command !== TOP) return [`unknown command "${command}"`];
  const accepted = optionsOf.get(command) ?? new Set<string>();
  return words
    .filter((word) => /^--?[a-zA-Z]/.test(word))
    .map((word) => word.split('=')[0]!)
    .filter((option) => !accepted.has(option))
    .map((option) => `${command} has no option ${option}`);
}

describe('the command lines of README.md and docs/', () => {
  it('are found (the extraction itself works)', () => {
    expect(documented.length).toBeGreaterThan(20);
    for (const command of ['create', 'listen', 'trigger', 'emulator', 'doctor', 'wait']) {
      expect(
        documented.some((doc) => doc.args[0] === command),
        command,
      ).toBe(true);
    }
  });

  it('each uses a command that exists and only options that command accepts', () => {
    const wrong = documented.flatMap((doc) => problemsOf(doc).map((problem) => `${doc.file}:${doc.line}: ${problem}: ${doc.text}`));
    expect(wrong).toEqual([]);
  });

  it('a planted wrong option or command is caught (the check can fail)', () => {
    const planted = commandsIn('planted.md', '```sh\nnpx sendtalk-verify create --sandbox --no-such-flag\nnpx sendtalk-verify verify --sandbox\n```\n');
    expect(planted.map(problemsOf)).toEqual([['create has no option --no-such-flag'], ['unknown command "verify"']]);
  });
});

/** The text of docs/cli.md under `## <command>`, up to the next `## `. */
function cliSection(command: string): string {
  const cli = readDoc('docs/cli.md');
  const start = cli.indexOf(`\n## ${command}\n`);
  if (start < 0) return '';
  const end = cli.indexOf('\n## ', start + 1);
  return cli.slice(start, end < 0 ? undefined : end);
}

describe('docs/cli.md, the option reference', () => {
  it('describes every option of every command, and no option a command does not have', () => {
    const problems: string[] = [];
    for (const [command, accepted] of optionsOf) {
      if (command === TOP) continue;
      const section = cliSection(command);
      if (section === '') {
        problems.push(`no "## ${command}" section`);
        continue;
      }
      const named = new Set<string>();
      for (const code of section.matchAll(/`(-[^`]*)`/g)) {
        for (const option of code[1]!.matchAll(/(?<![\w-])(--?[a-zA-Z][\w-]*)/g)) named.add(option[1]!);
      }
      for (const option of accepted) if (option !== '-h' && option !== '--help' && !named.has(option)) problems.push(`${command}: ${option} is not described`);
      for (const option of named) if (!accepted.has(option)) problems.push(`${command}: ${option} is described but not accepted`);
    }
    expect(problems).toEqual([]);
  });
});
