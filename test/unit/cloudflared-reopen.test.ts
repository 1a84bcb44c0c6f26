import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exposeListener, type ExposedListener, type TunnelUpdate } from '../../src/tunnel/expose-listener.js';
import { newProbeToken } from '../../src/tunnel/probe.js';
import type { TunnelEvent } from '../../src/tunnel/types.js';
import { startListener, type ListenerHandle } from '../../src/webhook/listener.js';
import { openCloudflared, type CloudflaredTunnel } from '../../src/tunnel/cloudflared.js';
import { until } from '../helpers/until.js';
import { alive } from '../helpers/cleanup.js';

/**
 * The watchdog and cloudflared (issue 20, items 2 and 4 together): a quick tunnel that stops
 * carrying requests is restarted, its new URL is reported as changed and remembered. Against the
 * stand-in cloudflared (test/fixtures/cloudflared-stub.mjs): each start proxies on a new port, so
 * its URL is new, as a real quick tunnel's is.
 */
const STUB = fileURLToPath(new URL('../fixtures/cloudflared-stub.mjs', import.meta.url));
const probeToken = newProbeToken();

let listener: ListenerHandle;
let exposed: ExposedListener | undefined;
let updates: TunnelUpdate[];
let tunnel: CloudflaredTunnel | undefined;
const pids = new Set<number>();
const dirs: string[] = [];

beforeEach(async () => {
  updates = [];
  listener = await startListener({ probeToken });
});

afterEach(async () => {
  await exposed?.close();
  exposed = undefined;
  tunnel = undefined;
  await listener.close();
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  pids.clear();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const events = (): TunnelEvent[] => updates.map((u) => u.event);
const states = (): string[] => updates.flatMap((u) => (u.event.type === 'state' ? [u.event.state] : []));
const memoryDir = (): { dir: string; key: string } => {
  const dir = mkdtempSync(join(tmpdir(), 'stv-cf-reopen-'));
  dirs.push(dir);
  return { dir: join(dir, 'sendtalk-verify'), key: 'cf-reopen-key' };
};
const remembered = (memory: { dir: string; key: string }): string | undefined =>
  (JSON.parse(readFileSync(join(memory.dir, 'webhook-urls.json'), 'utf8')) as { urls: Record<string, { webhookUrl: string }> }).urls[memory.key]?.webhookUrl;

function exposeThroughStub(hooks: {
  memory?: { dir: string; key: string };
  watchdog?: { intervalMs: number; probeTimeoutMs: number } | false;
}): Promise<ExposedListener> {
  return exposeListener(
    listener,
    {
      kind: 'provider',
      name: 'cloudflared',
      open: async (local, signal, onEvent) => {
        tunnel = await openCloudflared({
          port: local.port,
          localHost: local.host,
          bin: STUB,
          registrationTimeoutMs: 10_000,
          stopTimeoutMs: 500,
          signal,
          onEvent,
        });
        pids.add(tunnel.pid!);
        return tunnel;
      },
    },
    { probeToken, onEvent: (update) => updates.push(update), ...hooks },
  );
}

describe('a cloudflared quick tunnel re-opened', () => {
  it('reopen() stops this cloudflared, starts another under a new URL, and reports it as changed', async () => {
    exposed = await exposeThroughStub({ watchdog: false });
    const before = exposed.webhookUrl();
    const oldPid = tunnel!.pid!;
    tunnel!.reopen!('a test asked');
    await until(() => events().some((e) => e.type === 'reopened'), 'the restart', { detail: () => JSON.stringify(events()) });
    pids.add(tunnel!.pid!);
    expect(events().find((e) => e.type === 'down')).toMatchObject({ reason: 'a test asked' });
    const reopened = updates.find((u) => u.event.type === 'reopened')!;
    expect(reopened.event).toMatchObject({ changed: true });
    expect(reopened).toMatchObject({ previousWebhookUrl: before, webhookUrl: exposed.webhookUrl() });
    expect(exposed.webhookUrl()).not.toBe(before);
    expect(alive(oldPid)).toBe(false);
    expect(tunnel!.pid).not.toBe(oldPid);
    expect(await exposed.probe()).toMatchObject({ ok: true });
  });

  it('the watchdog restarts a quick tunnel that stopped answering; the new URL is remembered', async () => {
    const memory = memoryDir();
    exposed = await exposeThroughStub({ memory, watchdog: { intervalMs: 200, probeTimeoutMs: 800 } });
    const before = exposed.webhookUrl();
    expect(remembered(memory)).toBe(before);
    await until(() => states().includes('up'), 'a first routine check', { detail: () => JSON.stringify(events()) });

    // A cloudflared that hangs: its process is there, its proxy answers nothing.
    const stuck = tunnel!.pid!;
    process.kill(stuck, 'SIGSTOP');
    await until(() => events().some((e) => e.type === 'reopened'), 'the restart', { timeoutMs: 20_000, detail: () => JSON.stringify(events()) });
    pids.add(tunnel!.pid!);
    expect(updates.find((u) => u.event.type === 'state' && u.event.state === 're-opening')!.event).toMatchObject({
      reason: expect.stringMatching(/no answer|time|timed out/i),
    });
    expect(events().find((e) => e.type === 'reopened')).toMatchObject({ changed: true });
    const after = exposed.webhookUrl();
    expect(after).not.toBe(before);
    await until(() => remembered(memory) === after, 'the new URL to be remembered');
    await until(() => states().at(-1) === 'up' || states().at(-1) === 'checking', 'the tunnel up again', { detail: () => JSON.stringify(states()) });
    expect(await exposed.probe()).toMatchObject({ ok: true });
    // The hung process was killed after its stop time (SIGTERM waits while it is stopped).
    await until(() => !alive(stuck), 'the hung cloudflared to be gone');
  });
});
