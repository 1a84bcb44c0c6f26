import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { BIN, cleanEnv, type CliResult } from './cli.js';

/**
 * A reader that takes its input a little at a time: 4 KiB, then a pause, as a `python3 -c` or
 * `jq` at the end of a pipe does when it is busy. It prints what it got once the pipe closes.
 */
const READER = `
const fs = require('node:fs');
const got = [];
const buffer = Buffer.alloc(4096);
const pauseMs = Number(process.argv[1]);
function next() {
  let n;
  try { n = fs.readSync(0, buffer, 0, buffer.length, null); }
  catch (e) { if (e.code === 'EAGAIN') return setTimeout(next, pauseMs); throw e; }
  if (n === 0) return process.stdout.write(Buffer.concat(got));
  got.push(Buffer.from(buffer.subarray(0, n)));
  setTimeout(next, pauseMs);
}
next();
`;

/**
 * Runs `sendtalk-verify … | slow-reader` in bash, as a user's shell would: the CLI's stdout is a
 * real pipe (64 KiB of buffer; a pipe made by node:child_process is a socket pair, which buffers
 * more and would hide a cut). Resolves with the CLI's exit code and stderr, and what the reader
 * received as `stdout`.
 */
export async function runIntoSlowReader(
  args: string[],
  options: { pauseMs?: number; env?: Record<string, string>; killAfterMs?: number } = {},
): Promise<CliResult> {
  const script = 'node "$CLI_BIN" "$@" | node -e "$READER" "$PAUSE_MS"; exit "${PIPESTATUS[0]}"';
  const env = cleanEnv({
    ...options.env,
    CLI_BIN: BIN,
    READER,
    PAUSE_MS: String(options.pauseMs ?? 2),
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
  });
  const shell = spawn('bash', ['-c', script, 'bash', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  shell.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  shell.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  // The whole pipeline is one process group: a hang kills all of it.
  const killer = setTimeout(() => {
    try {
      process.kill(-shell.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, options.killAfterMs ?? 20_000);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    shell.on('close', (code, signal) => resolve({ code, signal })),
  );
  clearTimeout(killer);
  return { ...exit, stdout, stderr };
}
