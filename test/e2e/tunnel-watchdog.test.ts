import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { killAll, startListen } from '../helpers/listen-process.js';
import { LocaltunnelServer, sendThrough } from '../helpers/localtunnel-server.js';

// Any 8 characters of the secret are masked wherever they appear (in any case): it shares no such
// run with what the test reads ("after-watchdog", the URLs).
const SECRET = 'whsec_STALE408_never_print_5521';
const good = { 'content-type': 'application/json', 'x-secret-key': SECRET };
let server: LocaltunnelServer;

beforeEach(async () => {
  server = new LocaltunnelServer();
  await server.start();
});

afterEach(async () => {
  await killAll();
  await server.stop();
});

describe('the watchdog of a tunnel that goes stale while idle', () => {
  // The CLI's own 25 s interval: the test waits for it, so it takes about half a minute.
  it('notices 408s within 60 s, re-opens at the same URL (closing first), announces it, and a delivery after that ends the run with 0', async () => {
    const proc = startListen(['--secret', SECRET, '--max-events', '1', '--json'], { env: { SENDTALK_TUNNEL_HOST: server.url }, killAfterMs: 75_000 });
    const ready = await proc.line('ready');
    const webhookUrl = ready.webhookUrl as string;
    const id = ready.subdomain as string;
    expect(await proc.line('probe')).toMatchObject({ ok: true });
    const registered = server.registrations.length;

    // The connections stay open, so the client sees nothing wrong; only the public side fails.
    server.goStale(id, 408);
    const staleSince = Date.now();
    expect((await sendThrough(webhookUrl, { headers: good, body: '{"verificationID":"lost"}' })).status).toBe(408);

    const down = await proc.line('tunnel-down', 1, 60_000);
    expect(Date.now() - staleSince).toBeLessThan(60_000);
    expect(down.reason).toMatch(/stopped reaching this listener: HTTP 408/);
    expect(await proc.line('tunnel-state')).toMatchObject({ state: 're-opening', webhookUrl });

    const reopened = await proc.line('tunnel-reopened', 1, 15_000);
    expect(reopened).toMatchObject({ webhookUrl, previousWebhookUrl: webhookUrl, changed: false });
    // Closed first (no connection of the old registration left when it asked), then the same name
    // again until the server gave it back.
    const again = server.registrations.slice(registered);
    expect(again.length).toBeGreaterThan(0);
    // (`heldOpen` absent: the server had already forgotten the old registration.)
    expect(again.map((r) => [r.path, r.heldOpen ?? 0])).toEqual(again.map(() => [`/${id}`, 0]));
    expect(again.at(-1)!.id).toBe(id);
    // The state line follows the reopened line; on a busy machine it may come a moment later.
    await expect
      .poll(
        () =>
          proc
            .lines()
            .filter((l) => l.type === 'tunnel-state')
            .at(-1)?.state,
        { timeout: 10_000 },
      )
      .toBe('up');

    const res = await sendThrough(webhookUrl, { headers: good, body: '{"verificationID":"after-watchdog"}' });
    expect(res.status, res.body).toBe(200);
    const r = await proc.done;
    expect(r.code, r.stderr).toBe(0);
    expect(proc.lines().filter((l) => l.type === 'delivery')).toMatchObject([{ verificationId: 'after-watchdog', accepted: true }]);
    // The watchdog's probes are not deliveries.
    expect(proc.lines().at(-1)).toMatchObject({ type: 'done', accepted: 1, refused: 0 });
    expect(r.stderr).toMatch(/The tunnel re-opened at the same URL/);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  }, 80_000);
});
