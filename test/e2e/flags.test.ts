import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/**
 * The command line stays small: every command's --help lists at most this many options (--help
 * itself not counted). What is rarely needed is an environment variable (docs/cli.md), not a flag.
 */
const MAX_OPTIONS = 15;
const COMMANDS = ['create', 'listen', 'emulator', 'trigger', 'doctor', 'wait'];

/** The options a help text lists under its "Options:" heading, by their long name. */
function listedOptions(help: string): string[] {
  const section = /\nOptions:\n([^]*?)(?:\n\n|$)/.exec(help)?.[1] ?? '';
  return [...section.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!).filter((name) => name !== '--help');
}

describe('each command lists few options', () => {
  it.for(COMMANDS)(`%s --help lists at most ${MAX_OPTIONS} options, and points at the program-wide ones`, async (command) => {
    const r = await runCli([command, '--help']);
    expect(r.code).toBe(0);
    const options = listedOptions(r.stdout);
    expect(options.length, options.join(' ')).toBeGreaterThan(0);
    expect(options.length, options.join(' ')).toBeLessThanOrEqual(MAX_OPTIONS);
    expect(r.stdout).toContain('Also --debug and --dotenv <path>, for every command (sendtalk-verify --help).');
  });

  it('--debug and --dotenv are listed once, on the program, and work before or after the command', async () => {
    const r = await runCli(['--help']);
    expect(listedOptions(r.stdout)).toEqual(['--version', '--debug', '--dotenv']);
    for (const args of [
      ['--dotenv', 'nowhere.env', 'trigger'],
      ['trigger', '--dotenv', 'nowhere.env'],
    ]) {
      const missing = await runCli(args);
      expect(missing.code, args.join(' ')).toBe(2);
      expect(missing.stderr).toContain('The env file nowhere.env does not exist.');
    }
  });
});

describe('a flag of earlier versions', () => {
  it.for([
    [['listen', '--public-url', 'https://abc.ngrok.app'], '--public-url is now --tunnel <url>, e.g. --tunnel https://abc.ngrok.app.'],
    [['listen', '--tunnel-host', 'https://lt.example'], '--tunnel-host is now the environment variable SENDTALK_TUNNEL_HOST.'],
    [['listen', '--subdomain', 'acme'], '--subdomain is now the environment variable SENDTALK_SUBDOMAIN.'],
    [['doctor', '--tunnel-timeout', '5s'], '--tunnel-timeout is now the environment variable SENDTALK_TUNNEL_TIMEOUT.'],
    [['create', '--sandbox', '--sandbox-delay', '0'], '--sandbox-delay is now the environment variable SENDTALK_SANDBOX_DELAY.'],
    [['create', '--api-timeout', '5s'], '--api-timeout is now the environment variable SENDTALK_API_TIMEOUT.'],
    [['create', '--app-url', 'https://example.com'], '--app-url is now the environment variable SENDTALK_APP_URL.'],
    [['trigger', '--secret-header', 'X-Token'], '--secret-header is now the environment variable SENDTALK_SECRET_HEADER.'],
    [['listen', '--host', '0.0.0.0'], '--host of create and listen is now the environment variable SENDTALK_LISTEN_HOST.'],
    [['listen', '--path', '/hooks'], '--path is now the environment variable SENDTALK_WEBHOOK_PATH.'],
    [['listen', '--log-fsync'], '--log-fsync is now the environment variable SENDTALK_LOG_FSYNC=1.'],
    [['trigger', '--request-timeout', '5s'], '--request-timeout is now the environment variable SENDTALK_REQUEST_TIMEOUT.'],
    [['trigger', '--oversize-bytes', '4096'], '--oversize-bytes is gone: --check always sends 2 MiB.'],
    [['listen', '--ui'], '--ui is now --open with BROWSER=none'],
    [['create', '--qr'], '--qr is now the environment variable SENDTALK_QR=always.'],
    [['create', '--no-qr'], '--no-qr is now the environment variable SENDTALK_QR=never.'],
    [['create', '--qr-background', 'light'], '--qr-background is now the environment variable SENDTALK_QR=dark or SENDTALK_QR=light.'],
    [['emulator', '--response-nested'], '--response-nested is now the emulator\'s control API: PUT /_emulator/shape {"responseNested":true}.'],
    [['emulator', '--webhook-shape', 'wrapped'], '--webhook-shape is now the emulator\'s control API: PUT /_emulator/shape {"webhook":"wrapped"}.'],
    [['emulator', '--webhook-status', 'failed'], '--webhook-status is now the emulator\'s control API: PUT /_emulator/shape {"webhookStatus":"failed"}.'],
  ] as Array<[string[], string]>)('%j: the unknown-option error, then its new spelling', async ([args, hint]) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: unknown option '${args.filter((a) => a.startsWith('--')).at(-1)}'`);
    expect(r.stderr).toContain(hint);
  });

  it('--env-file, where Node leaves it to the tool (the file exists), is --dotenv', async () => {
    // Node claims --env-file anywhere on its command line and exits 9 when the file is missing
    // (nodejs/node#54232): the reason this alias could never be relied on.
    const file = join(mkdtempSync(join(tmpdir(), 'stv-flags-')), 'ci.env');
    writeFileSync(file, 'SENDTALK_WEBHOOK_SECRET=from-the-file\n');
    const r = await runCli(['doctor', '--env-file', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unknown option '--env-file'");
    expect(r.stderr).toContain('--env-file is now --dotenv <path>');
  });

  it('an unknown flag that never existed still gets the general hint', async () => {
    const r = await runCli(['listen', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Run with --help to see the commands and options.');
  });

  it('the hint is in the --json error document too', async () => {
    const r = await runCli(['create', '--json', '--public-url', 'https://abc.ngrok.app']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({
      status: 'error',
      error: { category: 'usage', code: 'commander.unknownOption', hint: expect.stringContaining('--tunnel <url>') },
    });
  });
});

describe('--tunnel', () => {
  it("takes a word or your own tunnel's URL; anything else is a usage error naming both", async () => {
    const word = await runCli(['listen', '--tunnel', 'ngrok']);
    expect(word.code).toBe(2);
    expect(word.stderr).toContain('--tunnel "ngrok" is neither auto, localtunnel, cloudflared, none nor a URL.');
    const scheme = await runCli(['listen', '--tunnel', 'ftp://abc.example']);
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toContain('--tunnel "ftp://abc.example" is not an http(s) URL.');
  });
});
