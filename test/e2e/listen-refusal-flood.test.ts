import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RefusalThrottle } from '../../src/flow/refusal-throttle.js';
import type { Delivery } from '../../src/webhook/listener.js';
import { killAll, startListen } from '../helpers/listen-process.js';

const SECRET = 'whsec_flood_never_printed_4410';
afterEach(async () => {
  await killAll();
});

describe('listen under a flood of refused requests', () => {
  it('reports the first 20 of a kind, summarises the rest, and still takes the real delivery', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'refusal-flood-')), 'log.ndjson');
    const listen = startListen(['--tunnel', 'none', '--secret', SECRET, '--json', '--log', log, '--max-events', '1']);
    const ready = await listen.line('ready');
    const url = ready.localUrl as string;
    const origin = new URL(url).origin;
    for (let i = 0; i < 100; i++) expect((await fetch(`${origin}/x${i}`)).status).toBe(404);
    const real = await fetch(url, {
      method: 'POST',
      headers: { 'secret-key': SECRET, 'content-type': 'application/json' },
      body: '{"verificationID":"v-flood"}',
    });
    expect(real.status).toBe(200);
    const r = await listen.done;
    expect(r.code, r.stderr).toBe(0);
    const lines = listen.lines();
    const refusedLines = lines.filter((l) => l.type === 'delivery' && l.accepted === false);
    expect(refusedLines).toHaveLength(20);
    expect(lines.filter((l) => l.type === 'refusals-summary')).toEqual([expect.objectContaining({ reason: 'not-found', suppressed: 80 })]);
    expect(lines.find((l) => l.type === 'delivery' && l.accepted === true)).toMatchObject({ verificationId: 'v-flood' });
    expect(lines.at(-1)).toMatchObject({ type: 'done', accepted: 1, refused: 100 });
    const records = readFileSync(log, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.filter((l) => l.type === 'delivery')).toHaveLength(21);
    expect(records.filter((l) => l.type === 'refusals-summary')).toEqual([expect.objectContaining({ reason: 'not-found', suppressed: 80 })]);
  });
});

describe('RefusalThrottle', () => {
  const refused = (reason: Delivery['reason'], at: number): Delivery => ({
    seq: at,
    receivedAt: new Date(at).toISOString(),
    method: 'GET',
    path: '/x',
    accepted: false,
    status: 404,
    reason,
    headers: {},
    body: Buffer.alloc(0),
  });

  it('counts per reason and starts again each window', () => {
    let now = 0;
    const throttle = new RefusalThrottle(2, 1000, () => now);
    expect([1, 2, 3, 4].map((i) => throttle.admit(refused('not-found', i)))).toEqual([true, true, false, false]);
    expect(throttle.admit(refused('secret-mismatch', 5))).toBe(true);
    expect(throttle.drain()).toEqual([{ reason: 'not-found', suppressed: 2, from: new Date(3).toISOString(), to: new Date(4).toISOString() }]);
    expect(throttle.drain()).toEqual([]);
    now = 1000;
    expect(throttle.admit(refused('not-found', 1000))).toBe(true);
  });
});
