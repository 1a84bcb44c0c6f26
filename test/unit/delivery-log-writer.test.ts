import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLogLine } from '../../src/webhook/delivery-log.js';
import { openDeliveryLog } from '../../src/webhook/delivery-log-writer.js';
import type { Delivery } from '../../src/webhook/listener.js';

const delivery = (seq: number, body: string): Delivery => ({
  seq, receivedAt: new Date(0).toISOString(), method: 'POST', path: '/webhook', accepted: true, status: 200,
  headers: { 'secret-key': '[redacted]' }, body: Buffer.from(body),
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
