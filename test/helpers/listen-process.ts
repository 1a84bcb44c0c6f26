import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { startCli, waitForOutput, type CliOptions, type CliResult } from './cli.js';
import { until } from './until.js';

/** A running `sendtalk-verify listen`, with its stdout read as NDJSON. */
export interface ListenProcess {
  child: ChildProcess;
  done: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
  /** Every complete stdout line parsed as JSON (under --json). */
  lines(): Array<Record<string, unknown>>;
  /** Waits for the first line of `type` (the n-th with `nth`). */
  line(type: string, nth?: number, timeoutMs?: number): Promise<Record<string, unknown>>;
}

const running = new Set<ChildProcess>();

/** Starts the built CLI's `listen`; `killAll()` in afterEach makes sure none outlives its test. */
export function startListen(args: string[], options: CliOptions = {}): ListenProcess {
  const cli = startCli(['listen', ...args], { killAfterMs: 40_000, ...options });
  running.add(cli.child);
  void cli.done.then(() => running.delete(cli.child));
  const lines = (): Array<Record<string, unknown>> =>
    cli
      .stdout()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    ...cli,
    lines,
    line(type, nth = 1, timeoutMs = 15_000) {
      return until(
        () => {
          const found = lines().filter((l) => l.type === type)[nth - 1];
          // An exited process writes no more lines: fail now rather than at the timeout.
          if (!found && cli.child.exitCode !== null)
            throw new Error(`listen exited (${cli.child.exitCode}) without a "${type}" line #${nth}; stdout:\n${cli.stdout()}\nstderr:\n${cli.stderr()}`);
          return found;
        },
        `a "${type}" line #${nth}`,
        { timeoutMs, detail: () => `stdout:\n${cli.stdout()}\nstderr:\n${cli.stderr()}` },
      );
    },
  };
}

export async function killAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  running.clear();
}

/** The local URL a human-mode `listen` prints on stderr. */
export async function localUrlOf(proc: ListenProcess): Promise<string> {
  return (await waitForOutput(proc.stderr, /Webhook listener on (http:\/\/\S+)/))[1]!;
}

export interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP request to a local URL. */
export function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'POST', headers: init.headers, agent: false }, (res) => {
      let text = '';
      res
        .setEncoding('utf8')
        .on('data', (c: string) => {
          text += c;
        })
        .on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
