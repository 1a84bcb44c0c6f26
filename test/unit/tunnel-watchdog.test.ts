import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exposeListener, type ExposedListener, type TunnelUpdate } from '../../src/tunnel/expose-listener.js';
import { openTunnel } from '../../src/tunnel/open-tunnel.js';
import { newProbeToken } from '../../src/tunnel/probe.js';
import type { TunnelEvent } from '../../src/tunnel/types.js';
import { startListener, type ListenerHandle } from '../../src/webhook/listener.js';
import { LocaltunnelServer, sendThrough, type StaleAnswer } from '../helpers/localtunnel-server.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

let server: LocaltunnelServer;
let listener: ListenerHandle;
let exposed: ExposedListener | undefined;
let updates: TunnelUpdate[];
const probeToken = newProbeToken();

beforeEach(async () => {
  server = new LocaltunnelServer();
  await server.start();
  updates = [];
  listener = await startListener({ probeToken });
});

afterEach(async () => {
  await exposed?.close();
  exposed = undefined;
  await listener.close();
  await server.stop();
});

const states = (): string[] => updates.flatMap((u) => (u.event.type === 'state' ? [u.event.state] : []));
const events = (): TunnelEvent[] => updates.map((u) => u.event);
const waitFor = (predicate: () => boolean, what: string): Promise<boolean> =>
  until(predicate, what, { timeoutMs: 15_000, detail: () => JSON.stringify(events()) });

const exposeWatched = (probeTimeoutMs = 2_000): Promise<ExposedListener> =>
  exposeListener(
    listener,
    { kind: 'localtunnel', host: server.url, timeoutMs: 10_000 },
    {
      probeToken,
      watchdog: { intervalMs: 200, probeTimeoutMs },
      openTunnel: (options) => openTunnel({ ...options, sameNameRetry: { tries: 8, delayMs: 300 } }),
      onEvent: (update) => updates.push(update),
    },
  );

describe('the watchdog of a tunnel opened here', () => {
  it.each<[StaleAnswer, number]>([
    [408, 2_000],
    [503, 2_000],
    ['nothing', 500],
  ])('re-opens a tunnel whose public side answers %s at the same URL, closing the old registration first', async (answer, probeTimeoutMs) => {
    exposed = await exposeWatched(probeTimeoutMs);
    const url = exposed.webhookUrl();
    const id = exposed.subdomain!;
    await waitFor(() => states().includes('up'), 'a first routine check');
    const registered = server.registrations.length;

    server.goStale(id, answer);
    await waitFor(() => events().some((e) => e.type === 'reopened'), 'the re-opening');
    expect(events().find((e) => e.type === 'down')).toMatchObject({ reason: expect.stringMatching(/^the public URL stopped reaching this listener: /) });
    expect(events().find((e) => e.type === 'reopened')).toMatchObject({ changed: false });
    expect(exposed.webhookUrl()).toBe(url);
    const again = server.registrations.slice(registered);
    expect(again.map((r) => [r.path, r.heldOpen ?? 0])).toEqual(again.map(() => [`/${id}`, 0]));
    expect(again.at(-1)!.id).toBe(id);
    // checking → re-opening → up, and the checks go on finding it up.
    expect(states().slice(states().indexOf('re-opening') - 1, states().indexOf('re-opening') + 2)).toEqual(['checking', 're-opening', 'up']);
    expect(await exposed.probe()).toMatchObject({ ok: true });
  });

  it('names the reminder page when the tunnel server shows it to the probe, and re-opens', async () => {
    exposed = await exposeWatched();
    server.reminder = 'always';
    await waitFor(() => events().some((e) => e.type === 'down'), 'the failed check');
    const failed = updates.find((u) => u.event.type === 'state' && u.event.state === 're-opening')!.event;
    expect(failed).toMatchObject({ reason: expect.stringContaining("loca.lt's reminder page") });
    server.reminder = 'off';
  });

  it('stops with close(): no probe, no re-opening afterwards', async () => {
    exposed = await exposeWatched();
    await waitFor(() => states().includes('checking'), 'a check');
    await exposed.close();
    const seen = updates.length;
    // A probe already on its way when close() cut it may still reach the server: count from after.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const probes = server.handedOver;
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(updates.length).toBe(seen);
    expect(server.handedOver).toBe(probes);
  });

  it('is off with watchdog: false', async () => {
    exposed = await exposeListener(listener, { kind: 'localtunnel', host: server.url }, { probeToken, watchdog: false, onEvent: (u) => updates.push(u) });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(states()).toEqual([]);
  });
});

describe("the watchdog of the user's own tunnel (--tunnel URL)", () => {
  it('reports it down, never re-opens it, and reports it up again', async () => {
    const port = await freePort();
    const own = await startListener({ probeToken, port });
    await listener.close();
    listener = own;
    exposed = await exposeListener(
      listener,
      { kind: 'public-url', publicUrl: `http://127.0.0.1:${port}` },
      {
        probeToken,
        watchdog: { intervalMs: 100, probeTimeoutMs: 500 },
        onEvent: (u) => updates.push(u),
      },
    );
    await waitFor(() => states().includes('up'), 'a check');
    await listener.close();
    await waitFor(() => states().includes('down'), 'the failed check');
    expect(updates.find((u) => u.event.type === 'state' && u.event.state === 'down')).toMatchObject({
      event: { reason: expect.stringMatching(/refused/) },
      webhookUrl: `http://127.0.0.1:${port}/webhook`,
    });
    listener = await startListener({ probeToken, port });
    await waitFor(() => states().at(-1) === 'up', 'the check that gets through again');
    expect(events().some((e) => e.type === 'down' || e.type === 'reopened')).toBe(false);
  });
});

describe('a library user', () => {
  it('process exits by itself once the flow ends: tunnel, listener and watchdog all closed', async () => {
    const index = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
    const script = `
      const { runListenFlow } = await import(${JSON.stringify(index)});
      // Probed once open, so the watchdog runs until the flow ends by itself and closes everything.
      const result = await runListenFlow({ tunnel: { kind: 'localtunnel', host: ${JSON.stringify(server.url)} }, timeoutMs: 300 });
      console.log('closed', result.reason);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    clearTimeout(killer);
    expect(out).toContain('closed timeout');
    expect(code, out).toBe(0);
  });
});

describe('a tunnel that drops by itself', () => {
  it('is not probed while it re-opens, and shows re-opening then up', async () => {
    exposed = await exposeListener(
      listener,
      { kind: 'localtunnel', host: server.url },
      {
        probeToken,
        watchdog: { intervalMs: 100 },
        openTunnel: (options) => openTunnel({ ...options, dropGraceMs: 200, reopenBackoff: { initialMs: 500, maxMs: 500 } }),
        onEvent: (u) => updates.push(u),
      },
    );
    await waitFor(() => states().includes('up'), 'a check');
    server.dropClient(exposed.subdomain!);
    await waitFor(() => events().some((e) => e.type === 'reopened'), 'the re-opening');
    const from = events().findIndex((e) => e.type === 'down');
    const to = events().findIndex((e) => e.type === 'reopened');
    expect(
      events()
        .slice(from, to)
        .filter((e) => e.type === 'state' && e.state === 'checking'),
    ).toEqual([]);
    expect(states().at(-1) === 'up' || states().at(-1) === 'checking').toBe(true);
    expect((await sendThrough(exposed.webhookUrl(), { headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(200);
  });
});
