import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ioIsStuck } from '../../src/safe-file.js';
import { parseLogLine } from '../../src/webhook/delivery-log.js';
import { deliveryLogWriter, openDeliveryLog } from '../../src/webhook/delivery-log-writer.js';
import type { Delivery } from '../../src/webhook/listener.js';

const delivery = (seq: number, body: string): Delivery => ({
  seq,
  receivedAt: new Date(0).toISOString(),
  method: 'POST',
  path: '/webhook',
  accepted: true,
  status: 200,
  headers: { 'secret-key': '[redacted]' },
  body: Buffer.from(body),
});

describe('the --log writer', () => {
  it('writes whole lines in call order, each on disk when its write resolves', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sendtalk-log-')), 'log.ndjson');
    const log = await openDeliveryLog(file);
    const big = 'x'.repeat(200_000);
    const writes = [1, 2, 3, 4].map((n) => log.write(delivery(n, n === 2 ? JSON.stringify({ big }) : `{"n":${n}}`)));
    await writes[0];
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    await Promise.all(writes);
    await log.close();
    await log.close();
    const records = readFileSync(file, 'utf8').trimEnd().split('\n').map(parseLogLine);
    expect(records.map((r) => r?.seq)).toEqual([1, 2, 3, 4]);
    expect(Buffer.from(records[1]!.bodyBase64, 'base64').toString()).toBe(JSON.stringify({ big }));
    expect(statSync(file).mode & 0o077).toBe(0);
    await expect(log.write(delivery(5, '{}'))).rejects.toThrow(/closed/);
  });
});

describe('a log left torn by an earlier run', () => {
  it('starts on a fresh line, so every record after the torn one parses', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sendtalk-log-')), 'log.ndjson');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, '{"type":"delivery","seq":1}\n{"type":"delivery","seq":2,"bod');
    const log = await openDeliveryLog(file);
    await log.write(delivery(3, '{}'));
    await log.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe('{"type":"delivery","seq":2,"bod');
    expect(parseLogLine(lines[2]!)).toMatchObject({ seq: 3 });
    expect(lines[3]).toBe('');
  });

  it('adds nothing to a log that ends with a whole line', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sendtalk-log-')), 'log.ndjson');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, '{"type":"note"}\n');
    const log = await openDeliveryLog(file);
    await log.write(delivery(1, '{}'));
    await log.close();
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(3);
  });
});

describe('a --log whose writes stall', () => {
  it('fails each write after the bound instead of queueing it forever, and skips records given up on', async () => {
    const appended: string[] = [];
    let release: () => void = () => {};
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    const target = {
      appendFile: async (line: string) => {
        appended.push(line);
        if (appended.length === 1) await stalled;
      },
      close: async () => {},
    };
    const log = deliveryLogWriter('stalled.ndjson', target, { writeTimeoutMs: 50 });
    const first = log.write(delivery(1, '{}'));
    const second = log.write(delivery(2, '{}'));
    await expect(first).rejects.toThrow(/did not finish within 50 ms/);
    await expect(second).rejects.toThrow(/did not finish within 50 ms/);
    // #1 is still in its write: a forced exit must not wait for it (see markStuckIo in safe-file.ts).
    expect(ioIsStuck()).toBe(true);
    release();
    await expect(log.write(delivery(3, '{}'))).resolves.toBeUndefined();
    // #2 was answered "not recorded" (503): writing it once the disk woke up would log a delivery twice.
    expect(appended.map((line) => JSON.parse(line).seq)).toEqual([1, 3]);
    expect(ioIsStuck()).toBe(false);
    await log.close();
  });

  it('closes even when a write never finishes', async () => {
    const log = deliveryLogWriter('stuck.ndjson', { appendFile: () => new Promise<void>(() => {}), close: async () => {} }, { writeTimeoutMs: 30 });
    await expect(log.write(delivery(1, '{}'))).rejects.toThrow(/did not finish/);
    await expect(log.close()).resolves.toBeUndefined();
  });
});

describe('a --log whose close stalls (issue 22)', () => {
  it('does not wait for a close that never finishes, and counts it as stuck so that the exit does not wait either', async () => {
    // A file handle's close waits for its writes in flight: on a stalled disk it never resolves.
    const log = deliveryLogWriter('stuck-close.ndjson', { appendFile: async () => {}, close: () => new Promise<void>(() => {}) }, { writeTimeoutMs: 30 });
    await log.write(delivery(1, '{}'));
    const closed = await Promise.race([log.close().then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 500))]);
    expect(closed).toBe('closed');
    expect(ioIsStuck()).toBe(true);
  });

  it('releases a stuck mark once a slow sync finishes (a late sync must not make the exit end by a signal)', async () => {
    // Fresh modules: earlier tests here leave writes that never finish, counted as stuck for good.
    vi.resetModules();
    const { ioIsStuck } = await import('../../src/safe-file.js');
    const { deliveryLogWriter } = await import('../../src/webhook/delivery-log-writer.js');
    let finish: () => void = () => {};
    const slowSync = new Promise<void>((resolve) => {
      finish = resolve;
    });
    expect(ioIsStuck()).toBe(false);
    const log = deliveryLogWriter(
      'slow-sync.ndjson',
      { appendFile: async () => {}, datasync: () => slowSync, close: async () => {} },
      { writeTimeoutMs: 30, fsync: true },
    );
    await expect(log.write(delivery(1, '{}'))).rejects.toThrow(/did not finish/);
    expect(ioIsStuck()).toBe(true);
    finish();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(ioIsStuck()).toBe(false);
    await log.close();
  });
});

describe('a --log this run created', () => {
  it('is removed on close when nothing was written to it, and kept once it holds a record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sendtalk-log-'));
    const empty = await openDeliveryLog(join(dir, 'empty.ndjson'));
    await empty.close();
    const used = await openDeliveryLog(join(dir, 'used.ndjson'));
    await used.write(delivery(1, '{}'));
    await used.close();
    expect(readdirSync(dir)).toEqual(['used.ndjson']);
  });

  it('is kept when it existed before, even empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sendtalk-log-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'mine.ndjson'), '', { mode: 0o600 });
    await (await openDeliveryLog(join(dir, 'mine.ndjson'))).close();
    expect(readdirSync(dir)).toEqual(['mine.ndjson']);
  });
});

describe('logFsync (listen --log with SENDTALK_LOG_FSYNC=1)', () => {
  /** A file whose appends and syncs are recorded in order, each sync taking a moment. */
  function recordingFile() {
    const events: string[] = [];
    return {
      events,
      target: {
        appendFile: async (line: string) => {
          events.push(`append ${JSON.parse(line).seq}`);
        },
        datasync: async () => {
          events.push('sync start');
          await new Promise((resolve) => setTimeout(resolve, 5));
          events.push('sync end');
        },
        close: async () => {},
      },
    };
  }

  it('resolves each write only after a sync that began after its line, one sync covering a burst', async () => {
    const { events, target } = recordingFile();
    const log = deliveryLogWriter('durable.ndjson', target, { fsync: true });
    const resolvedAt = new Map<number, number>();
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        log.write(delivery(i + 1, '{}')).then(() => {
          resolvedAt.set(i + 1, events.length);
        }),
      ),
    );
    const syncs = events.filter((e) => e === 'sync start').length;
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThanOrEqual(3); // group commit: not one per delivery
    for (let seq = 1; seq <= 40; seq++) {
      const appended = events.indexOf(`append ${seq}`);
      const syncedAfter = events.findIndex((e, i) => i > appended && e === 'sync start');
      const endOfThatSync = events.indexOf('sync end', syncedAfter);
      expect(syncedAfter, `#${seq} was never synced`).toBeGreaterThan(appended);
      expect(resolvedAt.get(seq)!, `#${seq} resolved before its sync ended`).toBeGreaterThan(endOfThatSync);
    }
  });

  it('does not sync without the option', async () => {
    const { events, target } = recordingFile();
    const log = deliveryLogWriter('plain.ndjson', target);
    await Promise.all([1, 2, 3].map((n) => log.write(delivery(n, '{}'))));
    expect(events).toEqual(['append 1', 'append 2', 'append 3']);
  });

  it('syncs a real file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sendtalk-log-')), 'log.ndjson');
    const log = await openDeliveryLog(file, { fsync: true });
    await Promise.all([1, 2, 3].map((n) => log.write(delivery(n, '{}'))));
    await log.close();
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(3);
  });
});
