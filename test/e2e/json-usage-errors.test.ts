import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/**
 * With --json, stdout is always JSON, also when the argument parser refuses the command line:
 * scripts parse stdout without first checking whether a usage error left it empty.
 */
describe('--json usage errors are the error document', () => {
  it.for([
    {
      name: 'a bad choice',
      args: ['create', '--sandbox', '--json', '--language', 'fr'],
      code: 'commander.invalidArgument',
      message: /argument 'fr' is invalid/,
    },
    { name: 'an unknown option', args: ['create', '--json', '--bogus'], code: 'commander.unknownOption', message: /Unknown option '--bogus'/ },
    {
      name: 'a missing option argument',
      args: ['trigger', '--json', '--url'],
      code: 'commander.optionMissingArgument',
      message: /--url <url>' argument missing/,
    },
    { name: "a flag's own check", args: ['doctor', '--json', '--tunnel', 'bogus'], code: undefined, message: /--tunnel "bogus" is neither/ },
  ])('$name', async ({ args, code, message }) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { status: string; error: { category: string; message: string; hint: string; code?: string; exitCode: number } };
    expect(doc).toMatchObject({ status: 'error', error: { category: 'usage', exitCode: 2, hint: expect.any(String) } });
    expect(doc.error.message).toMatch(message);
    expect(doc.error.code).toBe(code);
    // People still read the reason on stderr.
    expect(r.stderr).toMatch(message.source.startsWith('Unknown') ? /unknown option '--bogus'/ : message);
  });

  it('is one NDJSON line with type "error" for the streaming commands', async () => {
    for (const command of ['listen', 'emulator']) {
      const r = await runCli([command, '--json', '--tunnel-kind', 'x']);
      expect(r.code).toBe(2);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'error', status: 'error', error: { category: 'usage', code: 'commander.unknownOption' } });
    }
  });

  it('leaves stdout empty without --json', async () => {
    const r = await runCli(['create', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});
