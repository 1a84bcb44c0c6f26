import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serversStoppedAfterEach } from '../helpers/cleanup.js';
import { runIntoSlowReader } from '../helpers/slow-reader.js';
import { CorrectEndpoint } from '../helpers/webhook-endpoints.js';

const SECRET = 'whsec_slow_reader_secret_5521';
const started = serversStoppedAfterEach();

/** A `listen --log` file of `gets` skipped records and one delivery: a --json report well over 64 KiB. */
function bigLog(gets: number): string {
  const lines: string[] = [];
  const record = (seq: number, method: string, body: string) =>
    JSON.stringify({
      type: 'delivery',
      seq,
      receivedAt: '2026-01-01T00:00:00.000Z',
      method,
      path: '/webhook',
      status: method === 'POST' ? 200 : 405,
      accepted: method === 'POST',
      reason: null,
      detail: null,
      verificationId: null,
      phone: null,
      headers: {},
      bodyBase64: Buffer.from(body).toString('base64'),
    });
  for (let seq = 1; seq <= gets; seq += 1) lines.push(record(seq, 'GET', ''));
  lines.push(record(gets + 1, 'POST', '{"verificationID":"ver_slow_1","status":"verified"}'));
  const file = join(mkdtempSync(join(tmpdir(), 'slow-reader-')), 'log.ndjson');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('output into a slow pipe reader', () => {
  it('delivers a --json document far over 64 KiB whole before exiting 0', async () => {
    const target = await started(new CorrectEndpoint(SECRET));
    const result = await runIntoSlowReader(['trigger', '--replay', bigLog(3000), '--url', target.url, '--secret', SECRET, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(Buffer.byteLength(result.stdout)).toBeGreaterThan(3 * 64 * 1024);
    const report = JSON.parse(result.stdout);
    expect(report.skipped).toHaveLength(3000);
    expect(report.summary).toMatchObject({ replayed: 1, passed: 1 });
  });

  it('delivers the error document too when the command fails', async () => {
    const target = await started(new CorrectEndpoint('another-secret-entirely'));
    const result = await runIntoSlowReader(['trigger', '--replay', bigLog(3000), '--url', target.url, '--secret', SECRET, '--json']);
    expect(result.code, result.stderr).toBe(5);
    expect(JSON.parse(result.stdout).skipped).toHaveLength(3000);
  });
});
