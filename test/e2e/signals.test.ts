import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { CREATE_PATH } from '../../src/client/create-verification.js';
import type { EmulatorHandle } from '../../src/emulator/emulator.js';
import { emulatorForTest } from '../helpers/cleanup.js';
import { startCli, waitForOutput, type CliOptions, type CliResult } from '../helpers/cli.js';
import { LocaltunnelServer } from '../helpers/localtunnel-server.js';
import { freePort, isListening } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

/**
 * SIGINT, SIGTERM and SIGHUP in each phase of `create`, `listen` and `emulator`: exit 130, the
 * tunnel and servers closed, no port left open (checked with a connect attempt), no process left.
 * A second signal exits at once, during a cleanup that would otherwise take a while. An unhandled
 * rejection or exception becomes a clear message and exit 1.
 */
const KEY = 'st_signal_KEY_never_printed_8080';
const SECRET = 'whsec_SIGNAL_never_printed_9090';
const PHONE = '6281234567890';
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type Signal = (typeof SIGNALS)[number];

type Cli = ReturnType<typeof startCli>;

/** Starts the built CLI for one test; it is killed when the test ends, whatever happened. */
function cli(t: TestContext, args: string[], options: CliOptions = {}): Cli {
  const started = startCli(args, { killAfterMs: 25_000, ...options });
  t.onTestFinished(async () => {
    if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGKILL');
    await started.done;
  });
  return started;
}

const emulator = (t: TestContext, options: Parameters<typeof emulatorForTest>[1] = {}): Promise<EmulatorHandle> =>
  emulatorForTest(t, { apiKey: KEY, ...options });

async function tunnelServer(t: TestContext, mode: LocaltunnelServer['mode'] = 'normal'): Promise<LocaltunnelServer> {
  const server = new LocaltunnelServer();
  await server.start();
  server.mode = mode;
  t.onTestFinished(() => server.stop());
  return server;
}

const connections = (emu: EmulatorHandle): Promise<number> => new Promise((resolve) => emu.server.getConnections((_, n) => resolve(n)));

function processGone(pid: number | undefined): boolean {
  try {
    process.kill(pid!, 0);
    return false;
  } catch {
    return true;
  }
}

/** What a scenario leaves to check once the CLI has exited. */
interface Running {
  cli: Cli;
  /** Ports the CLI had open, each of which must refuse connections afterwards. */
  ports: number[];
  /** Further checks once it has exited (a tunnel closed, a hanging request ended). */
  after?: () => Promise<void>;
}

interface Scenario {
  name: string;
  /** A server asked to run until stopped (`emulator`, `listen` without a stop condition): SIGTERM is its normal end, exit 0. */
  server?: boolean;
  /** Starts the CLI and resolves once it is in the phase under test. */
  start(t: TestContext): Promise<Running>;
}

const scenarios: Scenario[] = [
  {
    name: 'create, opening the tunnel (before listening is announced)',
    async start(t) {
      const server = await tunnelServer(t, 'hang');
      const port = await freePort();
      const c = cli(t, ['create', '--api-url', 'http://127.0.0.1:9', '--api-key', KEY, '--secret', SECRET, '--phone', PHONE, '--port', String(port)], {
        env: { SENDTALK_TUNNEL_TIMEOUT: '60s', SENDTALK_TUNNEL_HOST: server.url },
      });
      await until(() => server.registrations.length > 0, 'the registration request');
      return { cli: c, ports: [port] };
    },
  },
  {
    name: 'create, while the API request hangs',
    async start(t) {
      let hanging = 0;
      const emu = await emulator(t, {
        onEvent: (e) => {
          if (e.type === 'request' && e.fault === 'hang') hanging++;
        },
      });
      emu.injectFault({ type: 'hang' }, 5);
      const port = await freePort();
      const c = cli(t, ['create', '--api-url', emu.url, '--api-key', KEY, '--secret', SECRET, '--phone', PHONE, '--port', String(port), '--tunnel', 'none']);
      await until(() => hanging === 1, 'the hanging create request');
      return {
        cli: c,
        ports: [port],
        // The CLI dropped its hanging request: the emulator is left with no connection from it.
        after: () => until(async () => (await connections(emu)) === 0, 'the hanging connection to close'),
      };
    },
  },
  {
    name: 'create --sandbox, while waiting for the webhook',
    async start(t) {
      const c = cli(t, ['create', '--sandbox'], { env: { SENDTALK_SANDBOX_DELAY: '1m' } });
      await waitForOutput(c.stderr, /Waiting for the verified webhook/);
      const emulatorPort = Number((await waitForOutput(c.stderr, /embedded SendTalk emulator at http:\/\/127\.0\.0\.1:(\d+)/))[1]);
      const listenerPort = Number((await waitForOutput(c.stderr, /Webhook listener on http:\/\/127\.0\.0\.1:(\d+)\//))[1]);
      expect(await isListening(emulatorPort)).toBe(true);
      expect(await isListening(listenerPort)).toBe(true);
      return { cli: c, ports: [emulatorPort, listenerPort] };
    },
  },
  {
    name: 'create, waiting for the webhook through a tunnel',
    async start(t) {
      const server = await tunnelServer(t);
      const emu = await emulator(t);
      const port = await freePort();
      const c = cli(t, ['create', '--api-url', emu.url, '--api-key', KEY, '--secret', SECRET, '--phone', PHONE, '--port', String(port)], {
        env: { SENDTALK_TUNNEL_HOST: server.url },
      });
      await waitForOutput(c.stderr, /Waiting for the verified webhook/);
      const id = server.clientIds[0]!;
      expect(server.connections(id)).toBeGreaterThan(0);
      return { cli: c, ports: [port], after: () => server.until(() => server.connections(id) === 0, 'the tunnel connections to close') };
    },
  },
  {
    name: 'listen, opening the tunnel',
    server: true,
    async start(t) {
      const server = await tunnelServer(t, 'hang');
      const port = await freePort();
      const c = cli(t, ['listen', '--secret', SECRET, '--port', String(port)], { env: { SENDTALK_TUNNEL_TIMEOUT: '60s', SENDTALK_TUNNEL_HOST: server.url } });
      await until(() => server.registrations.length > 0, 'the registration request');
      return { cli: c, ports: [port] };
    },
  },
  {
    name: 'listen, waiting for deliveries through a tunnel',
    server: true,
    async start(t) {
      const server = await tunnelServer(t);
      const port = await freePort();
      const c = cli(t, ['listen', '--secret', SECRET, '--port', String(port)], { env: { SENDTALK_TUNNEL_HOST: server.url } });
      await waitForOutput(c.stderr, /Waiting for deliveries/);
      const id = server.clientIds[0]!;
      expect(server.connections(id)).toBeGreaterThan(0);
      return { cli: c, ports: [port], after: () => server.until(() => server.connections(id) === 0, 'the tunnel connections to close') };
    },
  },
  {
    name: 'emulator, with a request left hanging',
    server: true,
    async start(t) {
      const port = await freePort();
      const c = cli(t, ['emulator', '--port', String(port)]);
      const base = `http://127.0.0.1:${port}`;
      await waitForOutput(c.stdout, /listening on/);
      await fetch(`${base}/_emulator/faults`, { method: 'POST', body: '{"type":"hang"}' });
      const hung = fetch(`${base}${CREATE_PATH}`, { method: 'POST', headers: { 'API-Key': KEY }, body: `{"userPhone":"${PHONE}"}` }).then(
        () => 'answered',
        () => 'cut',
      );
      await waitForOutput(c.stdout, /→ no answer/);
      return { cli: c, ports: [port], after: async () => expect(await hung).toBe('cut') };
    },
  },
];

describe.concurrent('a signal in each phase', () => {
  it.for(
    scenarios.flatMap((s) => SIGNALS.map((signal) => [s, signal] as [Scenario, Signal])).map(([s, signal]) => ({ name: `${s.name}: ${signal}`, s, signal })),
  )('$name → exit 130 (0 for SIGTERM on a server), everything closed', async ({ s, signal }, t) => {
    const running = await s.start(t);
    running.cli.child.kill(signal);
    const r: CliResult = await running.cli.done;
    expect(r.signal, 'it ended by itself, not by the default action of the signal').toBeNull();
    expect(r.code, r.stderr).toBe(signal === 'SIGTERM' && s.server ? 0 : 130);
    expect(r.stderr).toMatch(new RegExp(`(Interrupted|Stopping) \\(${signal}\\)`));
    expect(r.stderr).not.toMatch(/Interrupted again|did not finish within/);
    expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(processGone(running.cli.child.pid)).toBe(true);
    for (const port of running.ports) expect(await isListening(port), `port ${port} is still open`).toBe(false);
    await running.after?.();
    expect(r.stdout + r.stderr).not.toContain(KEY);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });
});

describe.concurrent('a stop signal once the terminal or the pipes are gone', () => {
  const cases = [
    { args: ['emulator', '--port', '0'], ready: /Press Ctrl-C/, signal: 'SIGTERM', code: 0 },
    { args: ['emulator', '--port', '0'], ready: /Press Ctrl-C/, signal: 'SIGHUP', code: 130 },
    { args: ['listen', '--tunnel', 'none', '--secret', SECRET], ready: /Waiting for deliveries/, signal: 'SIGTERM', code: 0 },
    { args: ['listen', '--tunnel', 'none', '--secret', SECRET], ready: /Waiting for deliveries/, signal: 'SIGHUP', code: 130 },
    { args: ['create', '--sandbox'], env: { SENDTALK_SANDBOX_DELAY: '1m' }, ready: /Waiting for the verified webhook/, signal: 'SIGTERM', code: 130 },
  ] as const;
  it.for(cases.map((c) => ({ ...c, name: `${c.args[0]}: ${c.signal}` })))(
    '$name → exit $code, not 1 for the "Stopping…" line that cannot be written',
    async (c, t) => {
      const running = cli(t, [...c.args], { env: 'env' in c ? { ...c.env } : {} });
      await waitForOutput(() => running.stdout() + running.stderr(), c.ready);
      // What a closed terminal or a killed pipeline leaves: nobody reads stdout or stderr any more.
      running.child.stdout!.destroy();
      running.child.stderr!.destroy();
      running.child.kill(c.signal);
      const r = await running.done;
      expect(r.signal).toBeNull();
      expect(r.code).toBe(c.code);
    },
  );
});

/**
 * A client that sends headers and part of a body, then stalls: it holds the listener's close for a
 * while. It asks for `100 Continue` so that it knows when the listener has taken the request in:
 * only then is the stall what the listener's close is waiting on.
 */
async function stalledRequest(t: TestContext, port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  t.onTestFinished(() => {
    socket.destroy();
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  let answer = '';
  socket.on('data', (chunk: Buffer) => {
    answer += chunk.toString('latin1');
  });
  socket.write(
    `POST /webhook HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nX-Secret-Key: ${SECRET}\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n`,
  );
  await until(() => answer.startsWith('HTTP/1.1 100 Continue\r\n'), 'the listener to take the request in (100 Continue)', { detail: () => answer });
  socket.write('{"verif');
  return socket;
}

describe.concurrent('a second signal', () => {
  it('exits listen at once while its cleanup waits on a stalled request', async (t) => {
    const port = await freePort();
    const c = cli(t, ['listen', '--tunnel', 'none', '--secret', SECRET, '--port', String(port)]);
    await waitForOutput(c.stderr, /Waiting for deliveries/);
    await stalledRequest(t, port);
    c.child.kill('SIGINT');
    await waitForOutput(c.stderr, /Stopping \(SIGINT\): closing the listener… \(Ctrl-C again quits at once\)/);
    c.child.kill('SIGINT');
    const r = await c.done;
    // Ended by the signal itself (a shell reports 130), not by process.exit.
    expect(r.signal).toBe('SIGINT');
    expect(r.stderr).toMatch(/✖ Interrupted again \(SIGINT\): exiting now, without finishing the cleanup\./);
    expect(await isListening(port)).toBe(false);
  });

  it('leaves listen to finish its cleanup after a single signal, even with a stalled request', async (t) => {
    const port = await freePort();
    const c = cli(t, ['listen', '--tunnel', 'none', '--secret', SECRET, '--port', String(port)]);
    await waitForOutput(c.stderr, /Waiting for deliveries/);
    await stalledRequest(t, port);
    c.child.kill('SIGTERM');
    const r = await c.done;
    expect(r.code, 'SIGTERM is the normal end of an open-ended listen').toBe(0);
    expect(r.stderr).toMatch(/Stopping \(SIGTERM\)/);
    expect(r.stderr).not.toMatch(/Interrupted again|did not finish within/);
    expect(r.stderr).toMatch(/Stopped: 0 accepted, 0 refused\./);
    expect(await isListening(port)).toBe(false);
  });

  it('exits create at once while its cleanup waits on a stalled request', async (t) => {
    const port = await freePort();
    const c = cli(t, ['create', '--sandbox', '--port', String(port)], { env: { SENDTALK_SANDBOX_DELAY: '1m' } });
    await waitForOutput(c.stderr, /Waiting for the verified webhook/);
    await stalledRequest(t, port);
    c.child.kill('SIGINT');
    await waitForOutput(c.stderr, /Stopping \(SIGINT\)/);
    c.child.kill('SIGINT');
    const r = await c.done;
    expect(r.signal).toBe('SIGINT');
    expect(r.stderr).toMatch(/Interrupted again \(SIGINT\): exiting now/);
    expect(await isListening(port)).toBe(false);
  });
});

/**
 * A thread of libuv's pool blocked in the kernel (here opening a FIFO nobody writes to, as a stalled
 * disk would hold a write): process.exit waits for it forever, so the second signal must end the
 * process by the signal itself (issue 22). The block is started by a module preloaded with node's
 * own --import, in the running CLI.
 */
const BLOCK = `import { readFile } from 'node:fs/promises';
readFile(process.env.STV_BLOCK_ON).catch(() => {});`;

describe('a second signal while a thread is blocked in a file operation', () => {
  it('ends listen by the signal at once', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'signals-blocked-'));
    t.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const fifo = join(dir, 'never-written.fifo');
    execFileSync('mkfifo', [fifo]);
    const port = await freePort();
    const c = cli(t, ['listen', '--tunnel', 'none', '--secret', SECRET, '--port', String(port)], {
      env: { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(BLOCK)}`, STV_BLOCK_ON: fifo },
      killAfterMs: 12_000,
    });
    await waitForOutput(c.stderr, /Waiting for deliveries/);
    await stalledRequest(t, port);
    c.child.kill('SIGINT');
    await waitForOutput(c.stderr, /Stopping \(SIGINT\)/);
    const sent = Date.now();
    c.child.kill('SIGINT');
    const r = await c.done;
    expect(r.signal, 'SIGKILL: killed by the test, the process hung').toBe('SIGINT');
    expect(Date.now() - sent).toBeLessThan(3000);
    expect(await isListening(port)).toBe(false);
  });
});

/**
 * A module preloaded with node's own --import (not a flag of the CLI) makes the running CLI reject
 * a promise nobody awaits, or throw from a timer, when it gets SIGUSR2.
 */
const INJECT = `process.on('SIGUSR2', () => {
  if (process.env.STV_INJECT === 'throw') setTimeout(() => { throw new Error('thrown by the test'); });
  else Promise.reject(new Error('rejected by the test'));
});`;
const injecting = (how: 'reject' | 'throw'): CliOptions => ({
  env: { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(INJECT)}`, STV_INJECT: how },
});

describe.concurrent('an unexpected failure anywhere', () => {
  it.for([
    { how: 'reject' as const, message: 'Unexpected error: rejected by the test' },
    { how: 'throw' as const, message: 'Unexpected error: thrown by the test' },
  ])('becomes one clear message and exit 1 ($how, in the emulator)', async ({ how, message }, t) => {
    const port = await freePort();
    const c = cli(t, ['emulator', '--port', String(port)], injecting(how));
    await waitForOutput(c.stdout, /listening on/);
    c.child.kill('SIGUSR2');
    const r = await c.done;
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`✖ ${message}`);
    expect(r.stderr).toMatch(/Run again with --debug/);
    expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(await isListening(port)).toBe(false);
  });

  it('is one NDJSON error line under listen --json', async (t) => {
    const c = cli(t, ['listen', '--tunnel', 'none', '--json'], injecting('reject'));
    await waitForOutput(c.stdout, /"type":"ready"/);
    c.child.kill('SIGUSR2');
    const r = await c.done;
    expect(r.code).toBe(1);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({
      type: 'error',
      status: 'error',
      error: { category: 'internal', message: 'Unexpected error: rejected by the test', exitCode: 1 },
    });
  });

  it('is one NDJSON error line under emulator --json', async (t) => {
    const c = cli(t, ['emulator', '--port', '0', '--json'], injecting('reject'));
    await waitForOutput(c.stdout, /"type":"ready"/);
    c.child.kill('SIGUSR2');
    const r = await c.done;
    expect(r.code).toBe(1);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['ready', 'error']);
  });
});
