import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { killAll, startListen } from '../helpers/listen-process.js';

afterEach(async () => {
  await killAll();
});

const dir = (): string => mkdtempSync(join(tmpdir(), 'log-kinds-'));

describe('listen --log on what is not a private regular file', () => {
  it('refuses a FIFO at once with exit 2 instead of blocking on it', async () => {
    const fifo = join(dir(), 'deliveries.fifo');
    execFileSync('mkfifo', [fifo]);
    const r = await runCli(['listen', '--tunnel', 'none', '--log', fifo, '--max-events', '1'], { killAfterMs: 10_000 });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`The log file ${fifo} is a FIFO; --log needs a regular file.`);
  });

  it('refuses a directory with exit 2', async () => {
    const r = await runCli(['listen', '--tunnel', 'none', '--log', dir(), '--max-events', '1']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--log needs a regular file|Cannot open the log file .* \(EISDIR\)/);
  });

  it('warns about an existing log others can read, and says how to fix it', async () => {
    const file = join(dir(), 'old.ndjson');
    writeFileSync(file, '{"type":"delivery","seq":1}\n');
    chmodSync(file, 0o644);
    const listen = startListen(['--tunnel', 'none', '--json', '--log', file, '--max-events', '1']);
    await listen.line('ready');
    listen.child.kill('SIGINT');
    const r = await listen.done;
    expect(r.stderr).toContain(`The log file ${file} can be read by others (mode 0644) and it holds phone numbers and payloads.`);
    expect(r.stderr).toContain(`Make it private with: chmod 600 '${file}'`);
  });

  it('says nothing about a private log', async () => {
    const file = join(dir(), 'private.ndjson');
    writeFileSync(file, '{"type":"delivery","seq":1}\n', { mode: 0o600 });
    const listen = startListen(['--tunnel', 'none', '--json', '--log', file, '--max-events', '1']);
    await listen.line('ready');
    listen.child.kill('SIGINT');
    expect((await listen.done).stderr).not.toContain('chmod');
  });
});

describe('listen --log with SENDTALK_LOG_FSYNC=1', () => {
  it('without --log the setting (which may sit in .env for every run) is moot, not an error', async () => {
    const r = await runCli(['listen', '--tunnel', 'none', '--timeout', '200ms'], { env: { SENDTALK_LOG_FSYNC: '1' } });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).not.toMatch(/fsync|SENDTALK_LOG_FSYNC/);
  });

  it('acknowledges a delivery once it is in the log', async () => {
    const file = join(dir(), 'durable.ndjson');
    const listen = startListen(['--tunnel', 'none', '--json', '--log', file, '--max-events', '1'], { env: { SENDTALK_LOG_FSYNC: '1' } });
    const url = (await listen.line('ready')).localUrl as string;
    expect((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"verificationID":"v-durable"}' })).status).toBe(200);
    expect((await listen.done).code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8').trim())).toMatchObject({ type: 'delivery', verificationId: 'v-durable', accepted: true });
  });
});
