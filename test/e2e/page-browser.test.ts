import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/index.js';
import { launchBrowser } from '../helpers/browser.js';
import { runCli, startCli, waitForOutput } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { decodePng } from '../helpers/qr-reader.js';

const KEY = 'st_live_BROWSER_KEY_never_on_page_6120';
const SECRET = 'whsec_BROWSER_SECRET_never_on_page_3384';
const PHONE = '6281234567890';

let browser: Awaited<ReturnType<typeof launchBrowser>>;
const stop: Array<() => Promise<unknown> | unknown> = [];
beforeAll(async () => { browser = await launchBrowser(); }, 60_000);
afterAll(async () => { await browser?.close(); });
afterEach(async () => { for (const fn of stop.splice(0).reverse()) await fn(); });

/** A new tab that records every request it makes. */
async function newTab(): Promise<{ page: Page; requests: string[] }> {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000); // a missing element fails within the test's time, with the locator named
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  stop.push(() => page.close());
  return { page, requests };
}

async function statusText(page: Page): Promise<string> {
  return (await page.locator('#status').textContent()) ?? '';
}

async function waitForStatus(page: Page, text: string): Promise<void> {
  await page.locator('#status', { hasText: text }).waitFor({ timeout: 20_000 });
}

/** The QR code as the browser drew it, read back from a screenshot. */
async function qrFromScreenshot(page: Page): Promise<string | undefined> {
  // Strings run in the page: the tests are type-checked without the DOM library.
  await page.waitForFunction("document.getElementById('qr').complete && document.getElementById('qr').naturalWidth > 0");
  return decodePng(await page.screenshot({ fullPage: true }));
}

function sameOrigin(requests: string[], url: string): string[] {
  const origin = new URL(url).origin;
  return requests.filter((r) => new URL(r).origin !== origin);
}

describe('the local page in a real browser', () => {
  it('create --sandbox --open on a machine without a browser prints the URL; the page shows a readable QR code and turns verified', async () => {
    // No xdg-open on PATH and no BROWSER: as on a server. Opening fails quietly; the URL is printed.
    const cli = startCli(['create', '--sandbox', '--open', '--sandbox-delay', '6s', '--timeout', '60s'], { env: { PATH: '/nonexistent', BROWSER: undefined }, killAfterMs: 60_000 });
    stop.push(() => { cli.child.kill('SIGKILL'); });
    const [, url] = await waitForOutput(cli.stderr, /Page on (http:\/\/127\.0\.0\.1:\d+\/\S+\/)/);
    await waitForOutput(cli.stderr, /No browser opened: xdg-open could not be started \(ENOENT\)\.\n.*Open the page's URL above by hand/);
    await waitForOutput(cli.stderr, /Waiting for the verified webhook/);
    const link = (await waitForOutput(cli.stdout, /Link\s+(\S+)/))[1]!;

    const { page, requests } = await newTab();
    const response = await page.goto(url!);
    expect(response!.status()).toBe(200);
    expect(await statusText(page)).toMatch(/Waiting for the verified webhook|Verified/);
    expect(await qrFromScreenshot(page)).toBe(link);
    expect(await page.locator('#link').textContent()).toBe(link);
    await waitForStatus(page, 'Verified');
    const r = await cli.done;
    expect(r.code).toBe(0);
    expect(sameOrigin(requests, url!)).toEqual([]);
  });

  it('create --ui: token or 403, a refused delivery with its reason, verified when the emulator delivers, no secret, nothing from elsewhere', async () => {
    const port = await freePort();
    const emulator = await startEmulator({ apiKey: KEY, secret: SECRET, autoVerifyMs: false, webhookUrl: `http://127.0.0.1:${port}/webhook` });
    stop.push(() => emulator.close());
    const cli = startCli(['create', '--ui', '--api-url', emulator.url, '--api-key', KEY, '--secret', SECRET, '--tunnel', 'none', '--port', String(port), '--phone', PHONE, '--timeout', '60s'], { killAfterMs: 60_000 });
    stop.push(() => { cli.child.kill('SIGKILL'); });
    const [, url] = await waitForOutput(cli.stderr, /Page on (http:\/\/127\.0\.0\.1:\d+\/\S+\/)/);
    expect(cli.stderr()).not.toMatch(/No browser opened/); // --ui never tries one
    await waitForOutput(cli.stderr, /Waiting for the verified webhook/);
    const id = (await waitForOutput(cli.stdout, /ID\s+(\S+)/))[1]!;
    const link = (await waitForOutput(cli.stdout, /Link\s+(\S+)/))[1]!;
    expect(new URL(url!).port).not.toBe(String(port)); // never the listener's port

    const { page, requests } = await newTab();
    const denied = await page.goto(`${new URL(url!).origin}/`);
    expect(denied!.status()).toBe(403);
    const wrong = await page.goto(url!.replace(/\/[^/]+\/$/, '/not-the-token/'));
    expect(wrong!.status()).toBe(403);
    const response = await page.goto(url!);
    expect(response!.status()).toBe(200);
    await waitForStatus(page, 'Waiting for the verified webhook');
    expect(await page.locator('#countdown').textContent()).toMatch(/^Time left: \d+:\d\d$/);
    expect(await qrFromScreenshot(page)).toBe(link);

    // A delivery with the wrong secret: refused, and the page says why.
    const refused = await fetch(`http://127.0.0.1:${port}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'secret-key': `${SECRET}-typo` },
      body: JSON.stringify({ verificationID: id, status: 'verified' }),
    });
    expect(refused.status).toBe(401);
    const entry = page.locator('#deliveries li.refused');
    await entry.waitFor();
    expect(await entry.textContent()).toMatch(/refused: secret wrong/);
    expect(await entry.locator('.reason-line').textContent()).toMatch(/^Why: .*secret/i);

    await emulator.verify(id);
    await waitForStatus(page, 'Verified');
    expect(await page.locator('#deliveries li.accepted').count()).toBe(1);
    const r = await cli.done;
    expect(r.code).toBe(0);

    const html = await page.content();
    for (const secret of [KEY, SECRET]) expect(html).not.toContain(secret);
    expect(html).toContain('[redacted]'); // the secret header is shown, masked
    expect(sameOrigin(requests, url!)).toEqual([]);
    expect(requests, 'the live updates come over Server-Sent Events').toContainEqual(expect.stringMatching(/\/events$/));
  });

  it('listen --ui: a live inspector of deliveries, headers masked and body shown, readable at phone width', async () => {
    const port = await freePort();
    const cli = startCli(['listen', '--ui', '--tunnel', 'none', '--port', String(port), '--secret', SECRET, '--max-events', '1'], { killAfterMs: 60_000 });
    stop.push(() => { cli.child.kill('SIGKILL'); });
    const [, url] = await waitForOutput(cli.stderr, /Page on (http:\/\/127\.0\.0\.1:\d+\/\S+\/)/);
    await waitForOutput(cli.stderr, /Waiting for deliveries/);
    const { page, requests } = await newTab();
    await page.goto(url!);
    await waitForStatus(page, 'Listening for deliveries');
    expect(await page.locator('#verification').isHidden()).toBe(true);

    await fetch(`http://127.0.0.1:${port}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'secret-key': SECRET },
      body: JSON.stringify({ verificationID: 'abc-123', phone: PHONE, status: 'verified', echo: SECRET }),
    });
    await waitForStatus(page, 'Stopped');
    const entry = page.locator('#deliveries li.accepted');
    await entry.locator('summary').click(); // keyboard and pointer open the same <details>
    expect(await entry.locator('pre.body').textContent()).toContain('"verificationID": "abc-123"');
    expect(await entry.locator('pre.headers').textContent()).toMatch(/secret-key: \[redacted\]/);
    expect(await page.locator('#counts').textContent()).toBe('1 accepted, 0 refused');
    expect((await cli.done).code).toBe(0);
    expect(await page.content()).not.toContain(SECRET);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(sameOrigin(requests, url!)).toEqual([]);
  });

  it('create --qr-file x.svg: the file, drawn by the browser, decodes to the link', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qr-svg-'));
    stop.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'x.svg');
    const r = await runCli(['create', '--sandbox', '--sandbox-delay', '0', '--qr-file', file]);
    expect(r.code).toBe(0);
    const { page } = await newTab();
    await page.setViewportSize({ width: 800, height: 800 }); // the file is drawn at 8 pixels a module
    await page.goto(`file://${file}`);
    expect(decodePng(await page.screenshot())).toBe(/Link\s+(\S+)/.exec(r.stdout)![1]);
  });
});
