import { existsSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLogLine } from '../../src/webhook/delivery-log.js';
import { runCli } from '../helpers/cli.js';
import { freePort, isListening } from '../helpers/ports.js';
import { killAll, localUrlOf, send, startListen, type ListenProcess } from '../helpers/listen-process.js';

const SECRET = 'whsec_LISTEN_never_print_5521';
const JSON_HEADERS = { 'content-type': 'application/json' };
const good = { ...JSON_HEADERS, 'secret-key': SECRET };
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  await killAll();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** `listen --tunnel none --json` on a free port; resolves once its ready line is out. */
async function listenJson(...extra: string[]): Promise<{ proc: ListenProcess; url: string }> {
  const proc = startListen(['--tunnel', 'none', '--port', '0', '--secret', SECRET, '--json', ...extra]);
  const ready = await proc.line('ready');
  return { proc, url: ready.webhookUrl as string };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sendtalk-listen-'));
}

const noSecretIn = (proc: ListenProcess): void => {
  expect(proc.stdout()).not.toContain(SECRET);
  expect(proc.stderr()).not.toContain(SECRET);
};

describe('listen --tunnel none --json', () => {
  it('answers 2xx, 401 and 4xx as it should and streams one NDJSON line per delivery, never the secret', async () => {
    const { proc, url } = await listenJson();
    expect(proc.lines()[0]).toEqual({ type: 'ready', webhookUrl: url, localUrl: url, tunnel: 'none' });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhook$/);

    const payload = JSON.stringify({ verificationID: 'ver_123', userPhone: '6281234567890', status: 'verified' });
    expect((await send(url, { headers: good, body: payload })).status).toBe(200);
    expect((await send(url, { headers: JSON_HEADERS, body: payload })).status).toBe(401);
    expect((await send(url, { headers: { ...JSON_HEADERS, 'secret-key': `${SECRET}x` }, body: payload })).status).toBe(401);
    expect((await send(url, { headers: good, body: '{"verificationID":' })).status).toBe(400);
    expect((await send(url, { headers: good, body: '[1,2]' })).status).toBe(400);
    expect((await send(url, { method: 'GET', headers: good })).status).toBe(405);
    expect((await send(url.replace('/webhook', '/hooks'), { headers: good, body: payload })).status).toBe(404);

    await proc.line('delivery', 7);
    const deliveries = proc.lines().filter((l) => l.type === 'delivery');
    expect(deliveries.map((d) => [d.status, d.accepted, d.reason])).toEqual([
      [200, true, null],
      [401, false, 'secret-missing'],
      [401, false, 'secret-mismatch'],
      [400, false, 'not-json'],
      [400, false, 'not-object'],
      [405, false, 'method-not-allowed'],
      [404, false, 'not-found'],
    ]);
    expect(deliveries[0]).toMatchObject({
      seq: 1,
      method: 'POST',
      path: '/webhook',
      verificationId: 'ver_123',
      phone: '6281234567890',
      payload: JSON.parse(payload),
      bodyBase64: Buffer.from(payload).toString('base64'),
    });
    expect(deliveries[0]!.headers).toMatchObject({ 'secret-key': '[redacted]' });
    expect(deliveries[2]!.headers).toMatchObject({ 'secret-key': '[redacted]' });
    expect(Date.parse(deliveries[0]!.receivedAt as string)).not.toBeNaN();

    proc.child.kill('SIGINT');
    const result = await proc.done;
    expect(result.code).toBe(130);
    expect(proc.lines().at(-1)).toEqual({
      type: 'done',
      reason: 'interrupted',
      accepted: 1,
      refused: 6,
      exitCode: 130,
      refusedBy: { 'secret-missing': 1, 'secret-mismatch': 1, 'not-json': 1, 'not-object': 1, 'method-not-allowed': 1, 'not-found': 1 },
    });
    // Every stdout line is a typed JSON document: NDJSON, nothing else.
    expect(
      proc
        .stdout()
        .trim()
        .split('\n')
        .every((l) => typeof JSON.parse(l).type === 'string'),
    ).toBe(true);
    noSecretIn(proc);
  });

  it('exits 0 once --max-events deliveries were accepted (refusals do not count)', async () => {
    const { proc, url } = await listenJson('--max-events', '2');
    await send(url, { headers: JSON_HEADERS, body: '{}' });
    await send(url, { headers: good, body: '{"n":1}' });
    await send(url, { headers: good, body: '{"n":2}' });
    const result = await proc.done;
    expect(result.code).toBe(0);
    expect(proc.lines().at(-1)).toEqual({ type: 'done', reason: 'max-events', accepted: 2, refused: 1, refusedBy: { 'secret-missing': 1 }, exitCode: 0 });
    expect(await isListening(Number(new URL(url).port))).toBe(false);
  });

  it('exits 3 at --timeout without an accepted delivery, and 0 with one', async () => {
    const none = await listenJson('--timeout', '700ms');
    await send(none.url, { headers: JSON_HEADERS, body: '{}' });
    const r1 = await none.proc.done;
    expect(r1.code).toBe(3);
    // The likeliest cause leads: what arrived, then how long was waited.
    expect(r1.stderr).toMatch(
      /1 delivery arrived and was refused: secret key is missing \(no X-Secret-Key or Secret-Key header\)\. No accepted delivery within 700 ms \(0 accepted, 1 refused\)/,
    );
    expect(none.proc.lines().at(-1)).toMatchObject({
      type: 'done',
      reason: 'timeout',
      exitCode: 3,
      refusedBy: { 'secret-missing': 1 },
      diagnosis: { cause: expect.stringMatching(/secret key is missing/) },
    });

    const one = await listenJson('--timeout', '700ms');
    await send(one.url, { headers: good, body: '{}' });
    expect((await one.proc.done).code).toBe(0);
  });

  it('exits 3 at --timeout with fewer than --max-events accepted, and says how many came', async () => {
    const { proc, url } = await listenJson('--max-events', '2', '--timeout', '700ms');
    expect((await send(url, { headers: good, body: '{"n":1}' })).status).toBe(200);
    const r = await proc.done;
    expect(r.code).toBe(3);
    expect(proc.lines().at(-1)).toMatchObject({ type: 'done', reason: 'timeout', accepted: 1, exitCode: 3 });
    expect(r.stderr).toMatch(/Only 1 of 2 deliveries arrived\. No more within 700 ms \(1 accepted, 0 refused\)/);
  });

  it('with --tunnel URL opens no tunnel, announces that URL and probes it', async () => {
    const port = await freePort();
    // "Your own tunnel" here is the listener's own address: the probe must come back from it.
    const proc = startListen(['--port', String(port), '--tunnel', `http://127.0.0.1:${port}`, '--secret', SECRET, '--json']);
    expect(await proc.line('ready')).toMatchObject({ webhookUrl: `http://127.0.0.1:${port}/webhook`, tunnel: 'public-url' });
    expect(await proc.line('probe')).toMatchObject({ ok: true });
    expect(proc.lines().filter((l) => l.type === 'delivery')).toEqual([]);
  });

  it('prints a one-line JSON error with a type for a usage error', async () => {
    const r = await runCli(['listen', '--tunnel', 'none', '--max-events', '0', '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'error', status: 'error', error: { category: 'usage', exitCode: 2 } });
    expect(r.stderr).toMatch(/--max-events "0"/);
  });

  it('stops with a plain message, not a bug report, when whatever reads stdout goes away', async () => {
    const { proc, url } = await listenJson();
    const port = Number(new URL(url).port);
    proc.child.stdout!.destroy(); // as `| head -1` does once it has its line
    expect((await send(url, { headers: good, body: '{}' })).status).toBe(200);
    const result = await proc.done;
    expect(result.code).toBe(1);
    expect(proc.stderr()).toContain('the program reading the output went away (broken pipe)');
    expect(proc.stderr()).not.toMatch(/Unexpected error|report it/);
    expect(await isListening(port)).toBe(false);
  });
});

describe('listen for people', () => {
  it('shows time, method, path, verdict and why, the id and phone, and hints at the secret once', async () => {
    const proc = startListen(['--tunnel', 'none', '--port', '0', '--secret', SECRET]);
    const url = await localUrlOf(proc);
    await send(url, {
      headers: { ...good, 'user-agent': 'SendTalk-Webhook/1.0' },
      body: JSON.stringify({ data: { verificationId: 'ver_9', phone: '6289876543210' } }),
    });
    await send(url, { headers: { ...JSON_HEADERS, 'secret-key': 'whsec_the_old_one' }, body: '{}' });
    await send(url, { headers: { ...JSON_HEADERS, 'secret-key': 'whsec_the_old_one' }, body: '{}' });
    await send(url, { headers: good, body: 'not json' });
    proc.child.kill('SIGTERM');
    const r = await proc.done;
    expect(r.code, 'SIGTERM ends an open-ended listen cleanly').toBe(0);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d {2}POST \/webhook {2}200 accepted {2}id ver_9 {2}phone 6289876543210 {2}User-Agent: "SendTalk-Webhook\/1\.0"$/m);
    // Each delivery's User-Agent, or that it sent none.
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d {2}POST \/webhook {2}401 refused: secret wrong {2}User-Agent: \(none\)$/m);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d {2}POST \/webhook {2}400 refused: not JSON {2}User-Agent: \(none\)$/m);
    expect(r.stderr.match(/Is SENDTALK_WEBHOOK_SECRET \(or --secret\) the key the dashboard shows after saving Verification Config\?/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/Stopped: 1 accepted, 3 refused\./);
    expect(r.stdout + r.stderr).not.toContain('whsec_the_old_one');
    noSecretIn(proc);
  });

  it('reads the secret from SENDTALK_WEBHOOK_SECRET and closes its port on Ctrl-C', async () => {
    const port = await freePort();
    const proc = startListen(['--tunnel', 'none', '--port', String(port)], { env: { SENDTALK_WEBHOOK_SECRET: SECRET } });
    await localUrlOf(proc);
    expect((await send(`http://127.0.0.1:${port}/webhook`, { headers: JSON_HEADERS, body: '{}' })).status).toBe(401);
    proc.child.kill('SIGINT');
    expect((await proc.done).code).toBe(130);
    expect(await isListening(port)).toBe(false);
    noSecretIn(proc);
  });
});

/** A local app for --forward-to that records what it gets. */
async function app(status = 201): Promise<{ url: string; requests: Array<{ headers: IncomingHttpHeaders; body: Buffer }> }> {
  const requests: Array<{ headers: IncomingHttpHeaders; body: Buffer }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req
      .on('data', (c: Buffer) => chunks.push(c))
      .on('end', () => {
        requests.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(status).end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/sendtalk`, requests };
}

describe('listen --forward-to', () => {
  it('passes accepted deliveries to the app with the body bytes unchanged and the secret header set', async () => {
    const target = await app(201);
    const { proc, url } = await listenJson('--forward-to', target.url);
    // Odd but valid JSON: spacing, key order and escapes must survive byte for byte.
    const body = Buffer.from('{ "userPhone" : "6281234567890",\n  "verificationID":"v\\u00e9-1", "n": 1.50 }');
    expect((await send(url, { headers: { ...good, 'user-agent': 'SendTalk-Webhook/1.0' }, body })).status).toBe(200);
    await send(url, { headers: JSON_HEADERS, body: '{}' }); // refused: not forwarded
    const line = await proc.line('delivery');
    expect(line.forward).toMatchObject({ url: target.url, status: 201 });
    expect(target.requests).toHaveLength(1);
    expect(target.requests[0]!.body.equals(body)).toBe(true);
    expect(target.requests[0]!.headers).toMatchObject({ 'secret-key': SECRET, 'content-type': 'application/json', 'user-agent': 'SendTalk-Webhook/1.0' });
    await proc.line('delivery', 2);
    expect(target.requests).toHaveLength(1);
    noSecretIn(proc);
  });

  it('reports an app that is down and keeps listening', async () => {
    const down = `http://127.0.0.1:${await freePort()}/hooks`;
    const proc = startListen(['--tunnel', 'none', '--port', '0', '--secret', SECRET, '--forward-to', down]);
    const url = await localUrlOf(proc);
    expect((await send(url, { headers: good, body: '{"n":1}' })).status).toBe(200);
    expect((await send(url, { headers: good, body: '{"n":2}' })).status).toBe(200);
    proc.child.kill('SIGINT');
    const r = await proc.done;
    expect(r.code).toBe(130);
    expect(r.stdout.match(/→ could not forward to http:\/\/127\.0\.0\.1:\d+\/hooks: connection refused \(is your app running\?\)/g)).toHaveLength(2);
  });
});

describe('listen --log', () => {
  it('has each accepted delivery on disk by the time its 200 arrives, and every delivery in the end', async () => {
    const dir = tempDir();
    const file = join(dir, 'deliveries.ndjson');
    writeFileSync(file, '{"type":"note","from":"an earlier run"}\n');
    const { proc, url } = await listenJson('--log', file);
    const sent = Array.from({ length: 12 }, (_, i) => ({ i, ok: i % 3 !== 0, body: JSON.stringify({ verificationID: `v-${i}`, userPhone: '6281234567890' }) }));
    await Promise.all(
      sent.map(async ({ i, ok, body }) => {
        const res = await send(url, { headers: ok ? good : { ...JSON_HEADERS, 'secret-key': 'wrong-secret' }, body });
        expect(res.status).toBe(ok ? 200 : 401);
        if (ok) {
          // Read the file the moment the 200 arrives: the record must already be there.
          const records = readFileSync(file, 'utf8')
            .split('\n')
            .map(parseLogLine)
            .filter((r) => r !== undefined);
          const onDisk = records.filter((r) => r.accepted).map((r) => Buffer.from(r.bodyBase64, 'base64').toString());
          expect(onDisk, `delivery ${i} on disk before its 200`).toContain(body);
        }
      }),
    );
    proc.child.kill('SIGINT');
    expect((await proc.done).code).toBe(130);

    const text = readFileSync(file, 'utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('{"type":"note","from":"an earlier run"}'); // appended, not truncated
    const records = lines.slice(1).map(parseLogLine);
    expect(records.every((r) => r !== undefined)).toBe(true);
    expect(records).toHaveLength(12);
    expect(records.filter((r) => r!.accepted)).toHaveLength(8);
    expect(records.filter((r) => r!.reason === 'secret-mismatch')).toHaveLength(4);
    expect(new Set(records.map((r) => r!.seq)).size).toBe(12);
    expect(records.every((r) => r!.headers['secret-key'] === '[redacted]')).toBe(true);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('wrong-secret');
  });

  it('creates the file when missing, and refuses a path it cannot create with exit 2', async () => {
    const dir = tempDir();
    const file = join(dir, 'new.ndjson');
    const { proc, url } = await listenJson('--log', file, '--max-events', '1');
    await send(url, { headers: good, body: '{"a":1}' });
    expect((await proc.done).code).toBe(0);
    expect(existsSync(file)).toBe(true);
    expect(parseLogLine(readFileSync(file, 'utf8').split('\n')[0]!)).toMatchObject({ accepted: true, bodyBase64: Buffer.from('{"a":1}').toString('base64') });

    const r = await runCli(['listen', '--tunnel', 'none', '--log', join(dir, 'missing-dir', 'x.ndjson')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Could not write the log file .*missing-dir.*: the folder .*missing-dir does not exist\./);
  });
});
