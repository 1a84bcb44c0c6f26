import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { CorrectEndpoint, TimesOutEndpoint } from '../helpers/webhook-endpoints.js';
import { cleanupAfterEach, serversStoppedAfterEach } from '../helpers/cleanup.js';

const SECRET = 'S3cr3t-Send-Not-Shown-77aa';
const defer = cleanupAfterEach();
const start = serversStoppedAfterEach();

describe('trigger', () => {
  it('sends one signed verified event with the given id and phone, and shows status, time and body: exit 0', async () => {
    const endpoint = await start(new CorrectEndpoint(SECRET));
    const result = await runCli(['trigger', '--url', endpoint.url, '--secret', SECRET, '--id', 'ver_42', '--phone', '+62 812-3456-7890']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(endpoint.requests).toHaveLength(1);
    const [sent] = endpoint.requests;
    expect(sent!.method).toBe('POST');
    expect(sent!.headers['x-secret-key']).toBe(SECRET);
    expect(sent!.headers['secret-key']).toBeUndefined();
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sent!.body.toString())).toEqual({
      verificationID: 'ver_42',
      userPhone: '6281234567890',
      status: 'verified',
      verifiedTime: expect.any(Number),
      languageCode: 'en',
    });
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^✔ 200 OK \\(\\d+ ms\\) from ${endpoint.url}$`));
    expect(lines[1]).toContain('id ver_42, phone 6281234567890');
    expect(lines[2]).toBe('  body   {"ok":true}');
    expect(result.stdout + result.stderr).not.toContain(SECRET);
  });

  it('--json: one document with the answer', async () => {
    const endpoint = await start(new CorrectEndpoint(SECRET));
    const result = await runCli(['trigger', '--url', endpoint.url, '--secret', SECRET, '--json', '--id', 'ver_7']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      mode: 'send',
      url: endpoint.url,
      passed: true,
      secretHeader: 'X-Secret-Key',
      secretSent: true,
      event: { source: 'built-in', verificationId: 'ver_7', phone: '6281234567890' },
      got: { status: 200, failure: null, summary: '200 OK', bodyStart: '{"ok":true}' },
    });
  });

  it('exits 5 when the endpoint does not answer 2xx', async () => {
    const endpoint = await start(new CorrectEndpoint('another-secret'));
    const result = await runCli(['trigger', '--url', endpoint.url, '--secret', SECRET]);
    expect(result.code, result.stdout + result.stderr).toBe(5);
    expect(result.stdout).toMatch(/^✖ 401 Unauthorized/);
    expect(result.stdout).toContain('secret key is invalid');
  });

  it('sends a --payload file byte for byte', async () => {
    const endpoint = await start(new CorrectEndpoint(SECRET));
    const dir = mkdtempSync(join(tmpdir(), 'trigger-payload-'));
    const bytes = Buffer.from('{\r\n  "verificationId" : "from-file",\t"nama": "Budi Günther ✓"\r\n}\r\n', 'utf8');
    writeFileSync(join(dir, 'event.json'), bytes);
    const result = await runCli(['trigger', '--url', endpoint.url, '--secret', SECRET, '--payload', join(dir, 'event.json'), '--json']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(endpoint.requests[0]!.body.equals(bytes)).toBe(true);
    expect(JSON.parse(result.stdout).event).toMatchObject({ source: 'file', verificationId: 'from-file', bytes: bytes.length });
  });

  it('treats an endpoint that never answers as a failed verdict within SENDTALK_REQUEST_TIMEOUT', async () => {
    const endpoint = await start(new TimesOutEndpoint(SECRET));
    const result = await runCli(['trigger', '--url', endpoint.url, '--secret', SECRET, '--json'], { env: { SENDTALK_REQUEST_TIMEOUT: '300ms' } });
    expect(result.code, result.stdout + result.stderr).toBe(5);
    expect(JSON.parse(result.stdout).got).toMatchObject({ status: null, failure: 'timeout', summary: 'no answer within 300 ms' });
  });

  it('treats a refused connection as a failed verdict, not a crash', async () => {
    const result = await runCli(['trigger', '--url', `http://127.0.0.1:${await freePort()}/webhook`, '--secret', SECRET]);
    expect(result.code, result.stdout + result.stderr).toBe(5);
    expect(result.stdout).toMatch(/^✖ connection refused from/);
    expect(result.stderr).not.toMatch(/Unexpected error|\n\s+at /);
  });

  it('warns on stderr when no secret is sent', async () => {
    const endpoint = await start(new CorrectEndpoint(SECRET));
    const result = await runCli(['trigger', '--url', endpoint.url]);
    expect(result.code, result.stdout + result.stderr).toBe(5);
    expect(result.stderr).toContain('No secret: the event goes without an X-Secret-Key header.');
    expect(endpoint.requests[0]!.headers['x-secret-key']).toBeUndefined();
  });

  it.each([
    [[], 'No webhook URL.'],
    [['--url', 'localhost:3000/webhook'], 'is not an http(s) URL'],
    [['--url', 'http://127.0.0.1:1/x', '--payload', 'missing.json'], 'The payload file missing.json does not exist.'],
    [['--url', 'http://127.0.0.1:1/x', '--payload', 'e.json', '--id', 'x'], "cannot be used with option '--payload"],
    [['--url', 'http://127.0.0.1:1/x', '--replay', 'l.ndjson', '--check'], "cannot be used with option '--replay"],
    [['--url', 'http://127.0.0.1:1/x', '--phone', '0812345678'], 'has no country code'],
    [['--url', 'http://127.0.0.1:1/x'], 'SENDTALK_REQUEST_TIMEOUT (environment) "soon" is not a duration', { SENDTALK_REQUEST_TIMEOUT: 'soon' }],
  ] as Array<[string[], string, Record<string, string>?]>)('refuses %j with exit 2 and nothing on stdout', async (args, message, env) => {
    const result = await runCli(['trigger', ...args], { env });
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
  });
});

describe('trigger, interrupted', () => {
  it('stops at once on SIGTERM, exit 130, even while a request is waiting for its answer', async () => {
    const endpoint = await start(new TimesOutEndpoint(SECRET));
    const cli = startCli(['trigger', '--url', endpoint.url, '--secret', SECRET, '--check'], { env: { SENDTALK_REQUEST_TIMEOUT: '60s' } });
    defer(async () => void cli.child.kill('SIGKILL'));
    await expect.poll(() => endpoint.requests.length, { timeout: 15_000 }).toBe(1);
    cli.child.kill('SIGTERM');
    const result = await cli.done;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Interrupted (SIGTERM)');
  });
});
