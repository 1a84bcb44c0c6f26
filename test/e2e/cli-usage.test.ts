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

describe('values that would silently do something else are usage errors (exit 2), one rule for each kind', () => {
  it.each([
    [['listen', '--host', ''], /--host needs an address to bind/],
    [['emulator', '--host', ' '], /--host needs an address to bind/],
    [['listen', '--path', '/x?y'], /--path needs a URL path without \?, # or spaces/],
    [['listen', '--path', '/a b'], /--path needs a URL path without \?, # or spaces/],
    [['create', '--sandbox', '--path', '/hook#frag'], /--path needs a URL path/],
    [['create', '--sandbox', '--api-timeout', '0'], /--api-timeout "0" is no time at all: a time-out must be longer than 0\./],
    [['listen', '--tunnel-timeout', '0s'], /--tunnel-timeout "0s" is no time at all/],
    [['listen', '--timeout', '0'], /--timeout "0" is no time at all/],
    [['wait', 'ready.txt', '--timeout', '0ms'], /--timeout "0ms" is no time at all/],
    [['trigger', '--url', 'http://127.0.0.1:9/webhook', '--request-timeout', '0'], /--request-timeout "0" is no time at all/],
  ])('%j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});
