import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/emulator.js';
import { BIN, cleanEnv, runCli, waitForOutput } from '../helpers/cli.js';

let emulator: EmulatorHandle | undefined;
afterEach(async () => {
  await emulator?.close();
});

/**
 * Runs the CLI inside a pseudo-terminal (util-linux `script`), so that stdin and stderr are TTYs as
 * for a person at a terminal, and types `answers` one line at a time as prompts appear.
 */
async function inTerminal(args: string[], answers: string[], env: Record<string, string> = {}): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: cleanEnv({ CI: undefined, COLUMNS: '100', LINES: '40', ...env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    screen += d;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const done = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve(code);
    }),
  );
  let prompts = 0;
  for (const answer of answers) {
    await waitForOutput(() => screen, new RegExp(`(Phone number to verify[^]*){${++prompts}}`));
    child.stdin.write(answer === '\u0003' ? answer : `${answer}\r`);
  }
  const code = await done;
  return { code, screen };
}

describe('a missing --phone', () => {
  it('is asked for on a terminal, re-asked when it does not parse, then used', async () => {
    emulator = await startEmulator({ apiKey: 'prompt-key-1234', autoVerifyMs: false });
    const r = await inTerminal(['create', '--api-url', emulator.url, '--api-key', 'prompt-key-1234', '--no-wait'], ['0812-3456-7890', '+62 812-3456-7890'], {
      SENDTALK_QR: 'never',
    });
    expect(r.screen).toMatch(/has no country code/);
    expect(r.code).toBe(0);
    expect([...emulator.verifications.values()].map((v) => v.phone)).toEqual(['6281234567890']);
  });

  it('exits 130 on Ctrl-C at the prompt', async () => {
    emulator = await startEmulator({ apiKey: 'prompt-key-1234', autoVerifyMs: false });
    const r = await inTerminal(['create', '--api-url', emulator.url, '--api-key', 'prompt-key-1234', '--no-wait'], ['\u0003']);
    expect(r.code).toBe(130);
    expect(emulator.verifications.size).toBe(0);
  });

  it('is a usage error naming --phone off a terminal, without waiting', async () => {
    const r = await runCli(['create', '--api-key', 'k', '--no-wait'], { env: { CI: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/No phone number/);
    expect(r.stderr).toMatch(/--phone/);
  });
});
