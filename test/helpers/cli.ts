import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from './until.js';

export const BIN = fileURLToPath(new URL('../../bin/sendtalk-verify.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kill the process after this long (a hang is a failure, not a stuck suite). @default 20_000 */
  killAfterMs?: number;
  input?: string;
}

const configDirs: string[] = [];
process.once('exit', () => {
  for (const dir of configDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh, empty configuration directory (XDG_CONFIG_HOME), removed when the test process exits. */
export function freshConfigHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stv-config-'));
  configDirs.push(dir);
  return dir;
}

/**
 * The environment a user's shell would give, minus anything of ours that could leak in. Each call
 * gets its own empty XDG_CONFIG_HOME (unless `extra` names one), so no test reads or writes the
 * real user's configuration, and no run remembers another test's webhook URL.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('SENDTALK_') && key !== 'FORCE_COLOR') env[key] = value;
  }
  env.NO_COLOR = '1';
  if (!('XDG_CONFIG_HOME' in extra)) env.XDG_CONFIG_HOME = freshConfigHome();
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Starts the built CLI as a user would; `done` resolves when it exits. */
export function startCli(args: string[], options: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult>; stdout(): string; stderr(): string } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  if (options.input !== undefined) child.stdin!.end(options.input);
  else child.stdin!.end();
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 20_000);
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Resolves once `read()` matches `pattern`, or rejects after `timeoutMs`. */
export function waitForOutput(read: () => string, pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
  return until(() => read().match(pattern), String(pattern), { timeoutMs, detail: read });
}
