import { mkdtempSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, startListen } from '../helpers/listen-process.js';

const SECRET = 'whsec_done_count_never_printed_7781';
afterEach(async () => {
  await killAll();
});

function post(url: string, agent: Agent, n: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'secret-key': SECRET } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(undefined));
    req.end(JSON.stringify({ verificationID: `v-${n}` }));
  });
}

describe('listen --max-events with deliveries in flight', () => {
  it('counts in `done` every delivery it answered 200 and logged, those answered while closing included', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'done-count-')), 'log.ndjson');
    const listen = startListen(['--tunnel', 'none', '--secret', SECRET, '--json', '--log', log, '--max-events', '1']);
    const url = (await listen.line('ready')).localUrl as string;
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    try {
      // 32 at once: the first 200 ends listening while the others are in flight (their log writes queued).
      const statuses = await Promise.all(Array.from({ length: 32 }, (_, n) => post(url, agent, n)));
      const r = await listen.done;
      expect(r.code, r.stderr).toBe(0);
      const answered = statuses.filter((s) => s === 200).length;
      const done = listen.lines().at(-1)!;
      expect(done).toMatchObject({ type: 'done', reason: 'max-events' });
      expect(done.accepted).toBe(answered);
      expect(listen.lines().filter((l) => l.type === 'delivery' && l.accepted === true)).toHaveLength(answered);
      const logged = readFileSync(log, 'utf8')
        .trimEnd()
        .split('\n')
        .filter((l) => JSON.parse(l).accepted === true);
      expect(logged).toHaveLength(answered);
      expect(answered).toBeGreaterThan(0);
    } finally {
      agent.destroy();
    }
  });
});
