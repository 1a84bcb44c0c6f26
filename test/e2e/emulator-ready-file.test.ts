import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runCli } from '../helpers/cli.js';

const run = promisify(execFile);

/**
 * A CI script starts the emulator in the background and must not send its first request before the
 * emulator listens: `--ready-file` plus `wait`, exactly as docs/ci.md shows, under
 * `set -e`, with `kill` (SIGTERM) at the end exiting 0.
 */
describe('emulator --ready-file and wait, as a script uses them', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sendtalk-ready-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('waits for the emulator, gets its URL, uses it at once, and stops it with exit 0', async () => {
    // A stale file from an earlier run must not count as "ready".
    await writeFile(join(dir, 'emulator.ready'), 'http://127.0.0.1:1\n');
    const script = `
      set -e
      sv() { "${process.execPath}" "${BIN}" "$@"; }
      "${process.execPath}" "${BIN}" emulator --port 0 --ready-file emulator.ready > emulator.out 2> emulator.err &
      PID=$!
      trap 'kill $PID 2>/dev/null || true' EXIT
      URL=$(sv wait emulator.ready --timeout 20s)
      echo "url=$URL"
      "${process.execPath}" -e 'fetch(process.argv[1] + "/_emulator").then((r) => process.exit(r.status === 200 ? 0 : 1))' "$URL"
      echo "answered"
      kill $PID
      wait $PID || { echo "emulator exit $?"; cat emulator.err; exit 1; }
      echo "stopped=0"
    `;
    const { stdout } = await run('bash', ['-c', script], { cwd: dir, env: cleanEnv(), timeout: 25_000 }).catch((error: { stdout: string; stderr: string }) => {
      throw new Error(`script failed: ${error.stdout}\n${error.stderr}`);
    });
    const url = /^url=(http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout)?.[1];
    expect(url, stdout).toBeDefined();
    expect(url).not.toBe('http://127.0.0.1:1');
    expect(stdout).toContain('answered\nstopped=0');
    // Removed on the way out: the next run's wait cannot see it.
    expect(await readdir(dir)).not.toContain('emulator.ready');
  });

  it('wait gives up with exit 3 when nothing becomes ready', async () => {
    const r = await runCli(['wait', join(dir, 'never.ready'), '--timeout', '300ms']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('never.ready did not appear within');
  });
});
