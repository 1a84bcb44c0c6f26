import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { emulatorsClosedAfterEach, serversStoppedAfterEach } from '../helpers/cleanup.js';
import { AcceptsAnythingEndpoint, CorrectEndpoint } from '../helpers/webhook-endpoints.js';

const SECRET = 'whsec_GHA_never_shown_7c1d';
const KEY = 'st_GHA_key_never_shown_5b2e';
const start = serversStoppedAfterEach();
const emulator = emulatorsClosedAfterEach();

/**
 * With GITHUB_ACTIONS=true, `trigger --check`, `doctor` and `create` append a Markdown summary to
 * $GITHUB_STEP_SUMMARY (a temporary file here) and print failures as `::error::` annotations on
 * stderr, escaped and masked; stdout stays the --json document.
 */
describe('on GitHub Actions', () => {
  let dir: string;
  let n = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sendtalk-gha-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function inActions(args: string[], env: Record<string, string> = {}) {
    const summary = join(dir, `summary-${++n}.md`);
    await writeFile(summary, '# earlier step\n'); // appended to, never replaced
    const r = await runCli(args, { env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, ...env } });
    const text = await readFile(summary, 'utf8');
    expect(text.startsWith('# earlier step\n')).toBe(true);
    for (const part of [SECRET, KEY, SECRET.slice(0, 8), KEY.slice(-8)]) expect(r.stdout + r.stderr + text).not.toContain(part);
    return { ...r, summary: text, annotations: r.stderr.split('\n').filter((l) => l.startsWith('::')) };
  }

  it('trigger --check: the case table in the summary, one annotation per failed case, the JSON document intact', async () => {
    const endpoint = await start(new AcceptsAnythingEndpoint(SECRET));
    // `%` and `,` in the URL must be escaped in the annotation, or the runner misreads it.
    const url = `${endpoint.url}?q=100%25,x`;
    const r = await inActions(['trigger', '--url', url, '--secret', SECRET, '--check', '--json'], { SENDTALK_REQUEST_TIMEOUT: '2s' });
    expect(r.code).toBe(5);
    expect(JSON.parse(r.stdout)).toMatchObject({ mode: 'check', passed: false });
    expect(r.summary).toContain('### sendtalk-verify trigger --check');
    expect(r.summary).toMatch(/^\| case \| expected \| got \| verdict \|$/m);
    expect(r.summary).toMatch(/^\| valid \| 2xx \| 200 .*\| ✅ pass \|$/m);
    expect(r.summary).toMatch(/^\| wrong-secret \| 401\/403 \| 200 .*\| ❌ FAIL \|$/m);
    expect(r.summary).toMatch(/❌ \d of 7 checks failed/);
    expect(r.annotations.length).toBeGreaterThanOrEqual(2);
    expect(r.annotations.every((l) => l.startsWith('::error title=Webhook check failed%3A http%3A//127.0.0.1%3A'))).toBe(true);
    expect(r.annotations[0]).toContain('?q=100%2525%2Cx::');
    expect(r.annotations.find((l) => l.includes('::wrong-secret: expected 401/403, got 200'))).toBeDefined();
  });

  it('trigger --check that passes: a summary, no annotation', async () => {
    const endpoint = await start(new CorrectEndpoint(SECRET));
    const r = await inActions(['trigger', '--url', endpoint.url, '--secret', SECRET, '--check'], { SENDTALK_REQUEST_TIMEOUT: '2s' });
    expect(r.code).toBe(0);
    expect(r.summary).toContain('✅ All 7 checks passed.');
    expect(r.annotations).toEqual([]);
  });

  it('doctor: every check in the summary, the failed one annotated, the key masked', async () => {
    const emu = await emulator({ apiKey: 'another-key' });
    const r = await inActions(['doctor', '--api-url', emu.url, '--api-key', KEY, '--secret', SECRET, '--tunnel', 'none', '--json']);
    expect(r.code).toBe(5);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false });
    expect(r.summary).toContain('### sendtalk-verify doctor');
    expect(r.summary).toMatch(/^\| ✅ \| Node\.js version \|/m);
    expect(r.summary).toMatch(/^\| ❌ \| API reachable, key accepted \|/m);
    expect(r.annotations).toHaveLength(1);
    expect(r.annotations[0]).toMatch(/^::error title=sendtalk-verify doctor::API reachable, key accepted: /);
  });

  it('create: the result in the summary; a timeout is annotated', async () => {
    const ok = await inActions(['create', '--sandbox', '--json'], { SENDTALK_SANDBOX_DELAY: '0' });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: 'verified' });
    expect(ok.summary).toMatch(/### sendtalk-verify create --sandbox[\s\S]*\| status \| verified \|[\s\S]*✅ Verified in/);
    expect(ok.annotations).toEqual([]);

    const late = await inActions(['create', '--sandbox', '--timeout', '1s'], { SENDTALK_SANDBOX_DELAY: '1m' });
    expect(late.code).toBe(3);
    expect(late.summary).toContain('❌ No verified webhook within');
    expect(late.annotations).toEqual([expect.stringMatching(/^::error title=sendtalk-verify create::No verified webhook within /)]);
  });

  it('an error before any result: annotated with its hint, and summarised', async () => {
    const r = await inActions(['create', '--phone', '6281234567890', '--api-url', 'notaurl'], { SENDTALK_API_KEY: KEY });
    expect(r.code).toBe(2);
    expect(r.annotations).toEqual([
      expect.stringMatching(/^::error title=sendtalk-verify create::--api-url "notaurl" is not an http\(s\) URL\. Set --api-url/),
    ]);
    expect(r.summary).toMatch(/### sendtalk-verify create\n\n❌ --api-url "notaurl"[\s\S]*Exit code 2\./);
  });

  it('a usage error found by the argument parser is annotated too', async () => {
    const r = await inActions(['trigger', '--url', 'http://127.0.0.1:9/', '--chek']);
    expect(r.code).toBe(2);
    expect(r.annotations).toEqual([expect.stringMatching(/^::error title=sendtalk-verify trigger::Unknown option '--chek'/)]);
  });

  it('writes nothing of the kind elsewhere', async () => {
    const summary = join(dir, 'untouched.md');
    const r = await runCli(['create', '--sandbox', '--timeout', '1s'], { env: { SENDTALK_SANDBOX_DELAY: '1m', GITHUB_STEP_SUMMARY: summary } });
    expect(r.code).toBe(3);
    expect(r.stderr).not.toContain('::error');
    await expect(readFile(summary)).rejects.toThrow(/ENOENT/);
  });
});
