import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, waitForOutput } from '../helpers/cli.js';
import { CorrectEndpoint } from '../helpers/webhook-endpoints.js';

const RECORDED_SECRET = 'whsec_recorded_by_listen_6611';
// Shares no run of 8 characters, in any case, with the ids below: any such run of a secret is masked.
const REPLAY_SECRET = 'whsec_Rq7pLay_not_printed_0934';
/** Bytes a JSON re-encoder would change: CRLF, spacing, key order, non-ASCII. */
const FIRST = Buffer.from('{\r\n  "verificationID" : "ver_replay_1",\t"userPhone":"6281234567890",\r\n  "nama": "Budi Günther ✓" }', 'utf8');
const SECOND = Buffer.from('{"status":"verified","verificationID":"ver_replay_2"}', 'utf8');

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

let logFile: string;

/** Records a log the way a user would: `listen --log`, hit by two deliveries and two refusals. */
beforeAll(async () => {
  logFile = join(mkdtempSync(join(tmpdir(), 'trigger-replay-')), 'deliveries.ndjson');
  const listen = startCli(['listen', '--tunnel', 'none', '--secret', RECORDED_SECRET, '--json', '--log', logFile, '--max-events', '2'], {
    killAfterMs: 20_000,
  });
  try {
    const ready = JSON.parse((await waitForOutput(listen.stdout, /^.*\n/))[0]);
    const url: string = ready.localUrl;
    const send = (init: RequestInit) => fetch(url, init).then((res) => res.status);
    expect(await send({ method: 'GET' })).toBe(405);
    expect(await send({ method: 'POST', headers: { 'Secret-Key': 'wrong-secret' }, body: '{}' })).toBe(401);
    expect(await send({ method: 'POST', headers: { 'Secret-Key': RECORDED_SECRET, 'Content-Type': 'application/json' }, body: FIRST })).toBe(200);
    expect(await send({ method: 'POST', headers: { 'Secret-Key': RECORDED_SECRET, 'Content-Type': 'application/json' }, body: SECOND })).toBe(200);
    expect((await listen.done).code).toBe(0);
  } finally {
    listen.child.kill('SIGKILL');
  }
  // A line torn by a crash mid-write must not stop a replay.
  appendFileSync(logFile, '{"type":"delivery","seq":5,"bod');
});

async function endpoint(secret: string): Promise<CorrectEndpoint> {
  const e = await new CorrectEndpoint(secret, 'X-Secret-Key', '/hooks/sendtalk').start();
  cleanup.push(() => e.stop());
  return e;
}

describe('trigger --replay', () => {
  it('re-sends the recorded deliveries byte for byte, signed with --secret, to --url', async () => {
    const target = await endpoint(REPLAY_SECRET);
    const result = await runCli(['trigger', '--replay', logFile, '--url', target.url, '--secret', REPLAY_SECRET, '--json']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(target.requests).toHaveLength(2);
    expect(target.requests[0]!.body.equals(FIRST)).toBe(true);
    expect(target.requests[1]!.body.equals(SECOND)).toBe(true);
    for (const r of target.requests) {
      expect(r).toMatchObject({ method: 'POST', path: '/hooks/sendtalk' });
      expect(r.headers['x-secret-key']).toBe(REPLAY_SECRET);
      expect(r.headers['content-type']).toBe('application/json');
    }
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      mode: 'replay',
      url: target.url,
      passed: true,
      summary: { replayed: 2, passed: 2, failed: 0, skipped: 2 },
      ignoredLines: 1,
    });
    expect(report.deliveries.map((d: any) => [d.seq, d.verificationId, d.bytes, d.got.status])).toEqual([
      [3, 'ver_replay_1', FIRST.length, 200],
      [4, 'ver_replay_2', SECOND.length, 200],
    ]);
    expect(report.skipped).toEqual([
      { seq: 1, reason: 'a GET, not a delivery' },
      { seq: 2, reason: 'no body recorded (refused 401 before it was read)' },
    ]);
    expect(result.stdout + result.stderr).not.toContain(REPLAY_SECRET);
  });

  it('prints a table and exits 5 when the endpoint refuses the replays', async () => {
    const target = await endpoint('a-different-secret-entirely');
    const result = await runCli(['trigger', '--replay', logFile, '--url', target.url, '--secret', REPLAY_SECRET]);
    expect(result.code, result.stdout + result.stderr).toBe(5);
    expect(result.stdout).toMatch(/#3\s+\S+\s+\d+\s+401 Unauthorized \(.+\)\s+✖ FAIL/);
    expect(result.stdout).toContain(`✖ 2 of 2 replayed deliveries were not answered 2xx by ${target.url}.`);
    expect(result.stdout).toContain('skipped #1: a GET, not a delivery');
    expect(result.stdout + result.stderr).not.toContain(REPLAY_SECRET);
  });

  it('exits 2 for a missing log, or one with nothing to replay', async () => {
    const missing = await runCli(['trigger', '--replay', join(tmpdir(), 'no-such-log.ndjson'), '--url', 'http://127.0.0.1:1/x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does not exist');
    expect(missing.stderr).toContain('listen --log');

    const empty = join(mkdtempSync(join(tmpdir(), 'trigger-replay-')), 'empty.ndjson');
    writeFileSync(empty, '{"type":"ready"}\n\n');
    const nothing = await runCli(['trigger', '--replay', empty, '--url', 'http://127.0.0.1:1/x']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('The log has no delivery to replay');
  });
});
