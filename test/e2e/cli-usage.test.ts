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
    [['emulator', '--host', ' '], {}, /--host needs an address to bind/],
    [['listen'], { SENDTALK_LISTEN_HOST: ' ' }, /SENDTALK_LISTEN_HOST \(environment\): " " is not an address to bind\./],
    [['listen'], { SENDTALK_WEBHOOK_PATH: '/x?y' }, /SENDTALK_WEBHOOK_PATH \(environment\): "\/x\?y" is not a URL path for the webhook\./],
    [['listen'], { SENDTALK_WEBHOOK_PATH: '/a b' }, /is not a URL path for the webhook/],
    [['create', '--sandbox'], { SENDTALK_WEBHOOK_PATH: '/hook#frag' }, /is not a URL path for the webhook/],
    [['create', '--sandbox'], { SENDTALK_API_TIMEOUT: '0' }, /SENDTALK_API_TIMEOUT \(environment\) "0" is no time at all: a time-out must be longer than 0\./],
    [['listen'], { SENDTALK_TUNNEL_TIMEOUT: '0s' }, /SENDTALK_TUNNEL_TIMEOUT \(environment\) "0s" is no time at all/],
    [['listen', '--timeout', '0'], {}, /--timeout "0" is no time at all/],
    [['wait', 'ready.txt', '--timeout', '0ms'], {}, /--timeout "0ms" is no time at all/],
    [['trigger', '--url', 'http://127.0.0.1:9/webhook'], { SENDTALK_REQUEST_TIMEOUT: '0' }, /SENDTALK_REQUEST_TIMEOUT \(environment\) "0" is no time at all/],
    [['listen', '--log', 'x.ndjson'], { SENDTALK_LOG_FSYNC: 'maybe' }, /SENDTALK_LOG_FSYNC \(environment\): "maybe" is neither 1 nor 0\./],
    [['create', '--sandbox'], { SENDTALK_SECRET_HEADER: 'X Secret' }, /SENDTALK_SECRET_HEADER \(environment\): "X Secret" is not a valid header name\./],
  ] as Array<[string[], Record<string, string>, RegExp]>)('%j %j', async (args, env, message) => {
    const r = await runCli(args, { env });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});
