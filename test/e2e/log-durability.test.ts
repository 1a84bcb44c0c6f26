import { mkdtempSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, startListen } from '../helpers/listen-process.js';

/**
 * `listen --log` acknowledges a delivery only once its record is written. Killed with SIGKILL in
 * the middle of a 32-way load (no chance to flush or close anything), every delivery that got its
 * 200 must be in the log, and every line of the log must be whole.
 */
const SECRET = 'whsec_DURABLE_never_print_6620';
const WORKERS = 32;
/** Per worker, so the load is bounded even if the kill never came. */
const MAX_PER_WORKER = 40;
/** The kill comes once this many deliveries were acknowledged: well inside the load. */
const KILL_AFTER_ACKS = 240;

afterEach(async () => {
  await killAll();
});

interface Outcome {
  status?: number;
  error?: string;
}

function post(url: string, agent: Agent, body: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'secret-key': SECRET } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
      res.on('error', (error) => resolve({ error: error.message }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', (error) => resolve({ error: error.message }));
    req.end(body);
  });
}

describe('listen --log under SIGKILL', () => {
  it('has every acknowledged delivery in the log and no torn line after a SIGKILL in the middle of a 32-way load', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sendtalk-durable-')), 'deliveries.ndjson');
    const proc = startListen(['--tunnel', 'none', '--port', '0', '--secret', SECRET, '--log', file, '--json']);
    const url = (await proc.line('ready')).webhookUrl as string;

    const agent = new Agent({ keepAlive: true, maxSockets: WORKERS });
    const acknowledged: string[] = [];
    let inFlight = 0;
    let inFlightAtKill = -1;
    let failedAfterKill = 0;
    let killed = false;

    const worker = async (w: number): Promise<void> => {
      for (let n = 0; n < MAX_PER_WORKER; n++) {
        const id = `w${w}-${n}`;
        // Mostly small events, some of 24 KiB: a torn write would show in those first.
        const padding = n % 8 === 7 ? 'x'.repeat(24 * 1024) : '';
        const body = JSON.stringify({ verificationID: id, userPhone: '6281234567890', status: 'verified', padding });
        inFlight++;
        const outcome = await post(url, agent, body);
        inFlight--;
        if (outcome.status === 200) acknowledged.push(id);
        else if (killed) {
          failedAfterKill++;
          return; // the listener is gone: this worker is done
        } else {
          throw new Error(`delivery ${id} failed before the kill: ${outcome.status ?? outcome.error}`);
        }
        if (!killed && acknowledged.length >= KILL_AFTER_ACKS) {
          killed = true;
          inFlightAtKill = inFlight;
          proc.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    agent.destroy();
    const end = await proc.done;

    // It really was killed in the middle: by SIGKILL, with requests on the wire that never got their 200.
    expect(killed).toBe(true);
    expect(end.signal).toBe('SIGKILL');
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(failedAfterKill).toBeGreaterThan(0);

    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n'), 'the log ends with a whole line').toBe(true);
    const lines = text.slice(0, -1).split('\n');
    const records = lines.map((line, i) => {
      try {
        return JSON.parse(line) as { seq: number; accepted: boolean; status: number; verificationId: string | null; bodyBase64: string };
      } catch {
        throw new Error(`line ${i + 1} of ${lines.length} is torn: ${line.slice(0, 120)}…`);
      }
    });
    const logged = new Set(records.filter((r) => r.accepted && r.status === 200).map((r) => r.verificationId));
    const missing = acknowledged.filter((id) => !logged.has(id));
    expect(missing, `acknowledged but not in the log (of ${acknowledged.length})`).toEqual([]);
    // Each record is the delivery exactly as received, once.
    expect(new Set(records.map((r) => r.seq)).size).toBe(records.length);
    for (const r of records) expect(JSON.parse(Buffer.from(r.bodyBase64, 'base64').toString('utf8')).verificationID).toBe(r.verificationId);
    expect(text).not.toContain(SECRET);
    // A record may be on disk without its 200 (killed between the write and the answer), never the reverse.
    expect(logged.size).toBeGreaterThanOrEqual(acknowledged.length);
    console.info(
      `log durability: ${acknowledged.length} acknowledged, ${logged.size} in the log, ${inFlightAtKill} in flight at the SIGKILL, ${lines.length} lines, none torn`,
    );
  });
});
