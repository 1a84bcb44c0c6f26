import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
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

/** Temporary directories this process made (configuration homes, the node-only directory), removed when it exits. */
const tempDirs: string[] = [];
process.once('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh, empty configuration directory (XDG_CONFIG_HOME), removed when the test process exits. */
export function freshConfigHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stv-config-'));
  tempDirs.push(dir);
  return dir;
}

/**
 * The environment a user's shell would give, minus anything of ours that could leak in. Each call
 * gets its own empty XDG_CONFIG_HOME (unless `extra` names one), so no test reads or writes the
 * real user's configuration, and no run remembers another test's webhook URL. Minus a real
 * cloudflared too: `--tunnel auto` (the default with a key) would start it, and no test may reach
 * the internet. A test that wants one names the stub with CLOUDFLARED_BIN.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('SENDTALK_') && key !== 'FORCE_COLOR' && key !== 'CLOUDFLARED_BIN') env[key] = value;
  }
  if (env.PATH) env.PATH = [nodeOnlyDir(), ...env.PATH.split(delimiter).filter((dir) => !existsSync(join(dir, 'cloudflared')))].join(delimiter);
  env.NO_COLOR = '1';
  if (!('XDG_CONFIG_HOME' in extra)) env.XDG_CONFIG_HOME = freshConfigHome();
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

let nodeDir: string | undefined;

/** A directory holding only `node` (this one): the stub's `#!/usr/bin/env node` finds it even when the directory node came from holds a cloudflared too. */
function nodeOnlyDir(): string {
  if (nodeDir === undefined) {
    nodeDir = mkdtempSync(join(tmpdir(), 'sendtalk-node-'));
    tempDirs.push(nodeDir);
    symlinkSync(process.execPath, join(nodeDir, 'node'));
  }
  return nodeDir;
}

/** What a test runs `create` against an API with: each test file its own canaries, so a leak names its test. */
export interface CreateAgainst {
  apiUrl: string;
  key: string;
  secret: string;
  phone: string;
  /** The listener's port, which the emulator was told to deliver to. */
  port: number;
}

/** `create` against the API at `apiUrl` with that key, secret and phone, no tunnel, the listener on `port`; then `extra`. */
export function createArgs({ apiUrl, key, secret, phone, port }: CreateAgainst, ...extra: string[]): string[] {
  return ['create', '--api-url', apiUrl, '--api-key', key, '--secret', secret, '--phone', phone, '--tunnel', 'none', '--port', String(port), ...extra];
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
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
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
