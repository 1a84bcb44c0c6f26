import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForOutput } from '../helpers/cli.js';
import { killAll, localUrlOf, send, startListen, type ListenProcess } from '../helpers/listen-process.js';
import { socketsDestroyedAfterEach } from '../helpers/raw-sockets.js';
import { until } from '../helpers/until.js';

// The page's port under abuse by anyone on this machine (it needs no token to be reached): it must
// not cost the listener its memory or its file descriptors. Bounded floods, on loopback only.
afterEach(async () => {
  await killAll();
});
const open = socketsDestroyedAfterEach();

/** The CLI process's resident memory in MiB, as the kernel counts it. */
function rssMiB(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
  return Number(kib) / 1024;
}

async function startListenWithPage(): Promise<{ listen: ListenProcess; webhook: string; page: URL }> {
  const listen = startListen(['--open', '--tunnel', 'none'], { env: { BROWSER: 'none' }, killAfterMs: 120_000 });
  const page = new URL((await waitForOutput(listen.stderr, /Page on (http:\/\/127\.0\.0\.1:\d+\/\S+\/)/))[1]!);
  return { listen, webhook: await localUrlOf(listen), page };
}

/** An event-stream reader that sends its request and then never reads a byte: a stalled tab. */
async function stalledReader(page: URL): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = await open(Number(page.port));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  socket.write(`GET ${page.pathname}events HTTP/1.1\r\nHost: ${page.host}\r\nAccept: text/event-stream\r\n\r\n`);
  socket.pause();
  return { socket, closed };
}

/** A 60 KB JSON body whose page form (quotes escaped twice over) is as large as the page lets a body be. */
const BIG = JSON.stringify({ verificationID: 'v-big', pad: '"'.repeat(30_000) });

describe('the page under abuse', () => {
  it('16 event streams that never read: the listener keeps answering 200, its memory stays bounded, the stalled readers are dropped', async () => {
    const { listen, webhook, page } = await startListenWithPage();
    const readers = await Promise.all(Array.from({ length: 16 }, () => stalledReader(page)));
    const pid = listen.child.pid!;
    let peak = rssMiB(pid);
    const statuses = new Map<number, number>();
    const DELIVERIES = 1200;
    let next = 0;
    // Four senders at a time, as a busy webhook sender would.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < DELIVERIES) {
          next++;
          const { status } = await send(webhook, { headers: { 'content-type': 'application/json' }, body: BIG });
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          peak = Math.max(peak, rssMiB(pid));
        }
      }),
    );
    expect(Object.fromEntries(statuses)).toEqual({ 200: DELIVERIES });
    console.info(
      `page floods: peak RSS ${peak.toFixed(0)} MiB over ${DELIVERIES} deliveries of ${(BIG.length / 1000).toFixed(0)} KB with 16 stalled event streams`,
    );
    expect(peak).toBeLessThan(300);
    // Every stalled reader was cut: read now, each stream comes to its end (a live one never
    // would). Its page, a real EventSource, would reconnect and get a snapshot.
    for (const r of readers) r.socket.resume();
    await Promise.all(readers.map((r) => r.closed));
  }, 120_000);

  it("a flood of idle connections to the page's port: at most its cap stay open, and webhook deliveries still get 200", async () => {
    const { webhook, page } = await startListenWithPage();
    const FLOOD = 400;
    const sockets: Array<{ socket: Socket; closed: boolean }> = [];
    for (let i = 0; i < FLOOD; i++) {
      const entry = { socket: await open(Number(page.port)), closed: false };
      entry.socket.on('close', () => {
        entry.closed = true;
      });
      entry.socket.on('error', () => {});
      entry.socket.resume();
      sockets.push(entry);
    }
    // The page server keeps at most its cap (64) of them; the rest are closed at once.
    await until(() => sockets.filter((s) => !s.closed).length <= 64, 'the page server to close what is over its cap', {
      timeoutMs: 5000,
      detail: () => `${sockets.filter((s) => !s.closed).length} of ${FLOOD} still open`,
    });
    for (let i = 0; i < 10; i++) {
      const { status } = await send(webhook, { headers: { 'content-type': 'application/json' }, body: `{"verificationID":"v-${i}"}` });
      expect(status).toBe(200);
    }
    // The page itself still opens: a new connection takes the place of an idle one.
    expect((await fetch(page)).status).toBe(200);
    // And connections that never send a request do not stay: they are closed after a short idle time.
    await until(() => sockets.every((s) => s.closed), 'the idle connections to be closed', { timeoutMs: 15_000 });
  }, 60_000);
});
