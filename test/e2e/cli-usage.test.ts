import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('the command line without a command', () => {
  it('prints the help on stderr and exits 2: a script that forgot the command must not pass', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: sendtalk-verify/);
    expect(r.stderr).toMatch(/create --sandbox/);
  });

  it('an unknown command is a usage error too', async () => {
    const r = await runCli(['verify']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'verify'/);
  });
});
