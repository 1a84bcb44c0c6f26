import { describe, expect, it } from 'vitest';
import { serversStoppedAfterEach } from '../helpers/cleanup.js';
import { runCli } from '../helpers/cli.js';
import { FakeApi } from '../helpers/fake-api.js';

/** An API that answers without end, or not at all: the CLI's memory and time stay bounded. */
const KEY = 'st_bounds_KEY_never_printed_7710';
const started = serversStoppedAfterEach();
/** `create --no-wait` against the API at `url` (these tests are about the create request alone; not the helper createArgs, which waits). */
const noWaitCreate = (url: string, ...extra: string[]): string[] => [
  'create',
  '--api-url',
  url,
  '--api-key',
  KEY,
  '--phone',
  '6281234567890',
  '--no-wait',
  ...extra,
];

describe('the API answer is read up to a bound', () => {
  it('stops reading an endless 200 body after 1 MiB and says why (exit 1)', async () => {
    const api = await started(new FakeApi({ endless: true }));
    const r = await runCli(noWaitCreate(api.url, '--json'));
    expect(r.signal, 'killed: it did not end by itself').toBeNull();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/127\.0\.0\.1:\d+ answered with a body over 1024 KiB \(a create answer is a few KB\); stopped reading it\./);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'error', error: { category: 'api-unavailable' } });
    // The server was stopped from sending on by the closed connection, far short of its 256 MiB.
    expect(api.streamed).toBeLessThan(32 * 1024 * 1024);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('refuses a declared body over the bound without reading it', async () => {
    const api = await started(new FakeApi({ body: '{}', headers: { 'content-length': String(100 * 1024 * 1024) } }));
    const r = await runCli(noWaitCreate(api.url));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('answered with a body over 1024 KiB');
  });
});

describe('SENDTALK_API_TIMEOUT', () => {
  it('bounds the whole call, and says what was waited for', async () => {
    const api = await started(new FakeApi({ hang: true }));
    const r = await runCli(noWaitCreate(api.url), { env: { SENDTALK_API_TIMEOUT: '700ms' } });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/127\.0\.0\.1:\d+ did not answer within 700 ms, the time allowed for the whole API call\./);
    expect(r.stderr).toContain('SENDTALK_API_TIMEOUT allows longer');
    expect(api.requests).toHaveLength(1);
  });

  it('stops retrying a 503 once the next try would pass it', async () => {
    const api = await started(new FakeApi({ status: 503, body: '<html>busy</html>', headers: { 'retry-after': '1' } }));
    const r = await runCli(noWaitCreate(api.url), { env: { SENDTALK_API_TIMEOUT: '1500ms' } });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('HTTP 503');
    // One try, then Retry-After 1 s and a second: a third would end past 1.5 s.
    expect(api.requests.length).toBeLessThanOrEqual(2);
  });

  it('is a usage error when it is not a duration', async () => {
    const r = await runCli(noWaitCreate('http://127.0.0.1:9'), { env: { SENDTALK_API_TIMEOUT: 'soon' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SENDTALK_API_TIMEOUT (environment) "soon" is not a duration');
  });
});
