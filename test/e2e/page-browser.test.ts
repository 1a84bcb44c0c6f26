import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/emulator.js';
import { escapeControls } from '../../src/render/escape-controls.js';
import { launchBrowser } from '../helpers/browser.js';
import { runCli, startCli, waitForOutput } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/until.js';
import { decodePng } from '../helpers/qr-reader.js';

const KEY = 'st_live_BROWSER_KEY_never_on_page_6120';
const SECRET = 'whsec_BROWSER_SECRET_never_on_page_3384';
const PHONE = '6281234567890';

/** Where the screenshots of the page go, to look at after a run (ignored by git). */
const SHOTS = fileURLToPath(new URL('../../test-output/page/', import.meta.url));

let browser: Awaited<ReturnType<typeof launchBrowser>>;
const stop: Array<() => Promise<unknown> | unknown> = [];
beforeAll(async () => {
  browser = await launchBrowser();
  await mkdir(SHOTS, { recursive: true });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  console.info(`Screenshots of the page: ${SHOTS}`);
});
afterEach(async () => {
  for (const fn of stop.splice(0).reverse()) await fn();
});

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

/** Waits for the status to read exactly `text`: a substring match (case-insensitive) would take "Waiting for the verified webhook" for "Verified". */
async function waitForStatus(page: Page, text: string): Promise<void> {
  await page.locator('#status', { hasText: new RegExp(`^${text}$`) }).waitFor({ timeout: 20_000 });
}

/** The QR code as the browser drew it, read back from a screenshot. */
async function qrFromScreenshot(page: Page): Promise<string | undefined> {
  // Strings run in the page: the tests are type-checked without the DOM library.
  await qrLoaded(page);
  return decodePng(await page.screenshot({ fullPage: true }));
}

/** A full-page screenshot in the output folder, in the colour scheme the page is emulating. */
async function shot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ fullPage: true, path: join(SHOTS, `${name}.png`) });
}

/** The relative luminance (0–255) of a CSS colour as getComputedStyle gives it: `rgb(r, g, b)`. */
function luminance(css: string): number {
  const [r, g, b] = css.match(/[\d.]+/g)!.map(Number);
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** The page's background and text colours, as drawn. */
async function pageColours(page: Page): Promise<{ background: number; text: number }> {
  const [background, text] = (await page.evaluate('[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]')) as [
    string,
    string,
  ];
  return { background: luminance(background), text: luminance(text) };
}

/**
 * Resolves once the QR image has loaded. Polled with page.evaluate, not waitForFunction: the page's
 * Content-Security-Policy forbids eval, which waitForFunction needs in the page once it polls again
 * (seen when the image is slow to come on a busy machine).
 */
async function qrLoaded(page: Page): Promise<void> {
  await expect
    .poll(() => page.evaluate("document.getElementById('qr').complete && document.getElementById('qr').naturalWidth > 0"), { timeout: 15_000 })
    .toBe(true);
}

/**
 * The QR code on the page, as a phone would see it: decoded from a screenshot of it (jsqr, never
 * inverted), and whether its quiet zone (four modules all round) is light.
 */
async function qrAsDrawn(page: Page): Promise<{ link: string | undefined; lightQuietZone: boolean }> {
  await qrLoaded(page);
  const png = await page.locator('#qr').screenshot();
  const image = PNG.sync.read(png);
  const ring = Math.floor((image.width / 57) * 3.5); // a 49-module code and 2 × 4 modules of quiet zone
  let lightQuietZone = true;
  // The outermost pixel is left out: where the image sits between device pixels it blends with the card.
  for (let y = 1; y < image.height - 1; y++) {
    for (let x = 1; x < image.width - 1; x++) {
      if (x >= ring && x < image.width - ring && y >= ring && y < image.height - ring) continue;
      const i = (y * image.width + x) * 4;
      if (0.2126 * image.data[i]! + 0.7152 * image.data[i + 1]! + 0.0722 * image.data[i + 2]! < 200) lightQuietZone = false;
    }
  }
  return { link: decodePng(await page.screenshot({ fullPage: true })), lightQuietZone };
}

function sameOrigin(requests: string[], url: string): string[] {
  const origin = new URL(url).origin;
  return requests.filter((r) => new URL(r).origin !== origin);
}

describe('the local page in a real browser', () => {
  it('create --sandbox --open on a machine without a browser prints the URL; the page shows a readable QR code and turns verified', async () => {
    // No xdg-open on PATH and no BROWSER: as on a server. Opening fails quietly; the URL is printed.
    const cli = startCli(['create', '--sandbox', '--open', '--timeout', '60s'], {
      env: { SENDTALK_SANDBOX_DELAY: '6s', PATH: '/nonexistent', BROWSER: undefined },
      killAfterMs: 60_000,
    });
    stop.push(() => {
      cli.child.kill('SIGKILL');
    });
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
    const cli = startCli(
      [
        'create',
        '--open',
        '--api-url',
        emulator.url,
        '--api-key',
        KEY,
        '--secret',
        SECRET,
        '--tunnel',
        'none',
        '--port',
        String(port),
        '--phone',
        PHONE,
        '--timeout',
        '60s',
      ],
      { env: { BROWSER: 'none' }, killAfterMs: 60_000 },
    );
    stop.push(() => {
      cli.child.kill('SIGKILL');
    });
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
    const cli = startCli(['listen', '--open', '--tunnel', 'none', '--port', String(port), '--secret', SECRET, '--max-events', '1'], {
      env: { BROWSER: 'none' },
      killAfterMs: 60_000,
    });
    stop.push(() => {
      cli.child.kill('SIGKILL');
    });
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
    const r = await runCli(['create', '--sandbox', '--qr-file', file], { env: { SENDTALK_SANDBOX_DELAY: '0' } });
    expect(r.code).toBe(0);
    const { page } = await newTab();
    await page.setViewportSize({ width: 800, height: 800 }); // the file is drawn at 8 pixels a module
    await page.goto(`file://${file}`);
    expect(decodePng(await page.screenshot())).toBe(/Link\s+(\S+)/.exec(r.stdout)![1]);
  });
});

// Each finding of the trial is a soft expectation: a run on a page that has several of them lists them all.
describe('the page as the trial found it', () => {
  it('listen: a delivery says why once, an unread body says so, control characters read as in the terminal, and SIGTERM reads as stopped', async () => {
    const port = await freePort();
    // No --max-events or --timeout: a listen that runs until stopped, for which SIGTERM is the normal end.
    const cli = startCli(['listen', '--open', '--tunnel', 'none', '--port', String(port), '--secret', SECRET], {
      env: { BROWSER: 'none' },
      killAfterMs: 60_000,
    });
    stop.push(() => {
      cli.child.kill('SIGKILL');
    });
    const [, url] = await waitForOutput(cli.stderr, /Page on (http:\/\/127\.0\.0\.1:\d+\/\S+\/)/);
    await waitForOutput(cli.stderr, /Waiting for deliveries/);
    const { page } = await newTab();
    await page.goto(url!);
    await waitForStatus(page, 'Listening for deliveries');

    // Refused on its headers: the body is never read.
    const wrongSecret = await fetch(`http://127.0.0.1:${port}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'secret-key': `${SECRET}-typo` },
      body: '{"verificationID":"abc-123"}',
    });
    expect(wrongSecret.status).toBe(401);
    // Read, and refused for what it holds: control characters a terminal would obey.
    const raw = 'not json \u001b[31mred\u0007 \u001b]0;title\u0007 \u0000end\r';
    const notJson = await fetch(`http://127.0.0.1:${port}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'secret-key': SECRET },
      body: raw,
    });
    expect(notJson.status).toBe(400);
    await until(async () => (await page.locator('#deliveries li.refused').count()) === 2, 'both deliveries on the page');

    const unread = page.locator('#deliveries li.refused', { hasText: 'secret wrong' });
    const controls = page.locator('#deliveries li.refused', { hasText: 'not JSON' });
    await unread.locator('summary').click();
    await controls.locator('summary').click();
    const shown = await unread.innerText();
    expect.soft(shown.split('does not match the configured secret').length - 1, shown).toBe(1);
    expect.soft(await unread.locator('pre.body').count()).toBe(0);
    expect.soft((await unread.locator('.body-unread').allInnerTexts()).join('')).toMatch(/^Not read: .*refused .*before .*secret wrong/i);
    expect.soft(await controls.locator('pre.body').textContent()).toBe(escapeControls(raw));
    expect.soft((await controls.innerText()).split('not valid JSON').length - 1).toBe(1);
    expect.soft(await page.content()).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    await shot(page, 'listen-deliveries-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    expect.soft((await pageColours(page)).background).toBeLessThan(60);
    await shot(page, 'listen-deliveries-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    cli.child.kill('SIGTERM');
    expect((await cli.done).code).toBe(0);
    await waitForStatus(page, 'Stopped');
    const note = await page.locator('#note').innerText();
    expect.soft(note).toMatch(/^0 accepted, 2 refused \(stopped\)/);
    expect.soft(note).not.toMatch(/interrupted/i);
    await shot(page, 'listen-stopped-light');
  });

  it('create --sandbox timing out: the instruction to scan goes, and the advice is about the sandbox, not the dashboard', async () => {
    const cli = startCli(['create', '--sandbox', '--open', '--timeout', '6s'], {
      env: { BROWSER: 'none', SENDTALK_SANDBOX_DELAY: '60s' },
      killAfterMs: 60_000,
    });
    stop.push(() => {
      cli.child.kill('SIGKILL');
    });
    const [, url] = await waitForOutput(cli.stderr, /Page on (http:\/\/127\.0\.0\.1:\d+\/\S+\/)/);
    const { page } = await newTab();
    await page.goto(url!);
    await waitForStatus(page, 'Waiting for the verified webhook');
    expect(await page.locator('#verification').innerText()).toMatch(/Scan with the phone/);
    await waitForStatus(page, 'Timed out');
    expect((await cli.done).code).toBe(3);
    const card = await page.locator('#verification').innerText();
    expect.soft(card).not.toMatch(/Scan with the phone|Send the message unchanged/);
    const note = await page.locator('#note').innerText();
    expect.soft(note).not.toMatch(/Verification Config|dashboard/);
    expect.soft(note).toMatch(/sandbox/i);
    expect.soft(note).toMatch(/SENDTALK_SANDBOX_DELAY/);
    await shot(page, 'create-timed-out-light');
  });

  it('create --sandbox in the dark theme, then verified: the QR code stays dark on light with its quiet zone, the instruction goes', async () => {
    const cli = startCli(['create', '--sandbox', '--open', '--timeout', '60s'], {
      env: { BROWSER: 'none', SENDTALK_SANDBOX_DELAY: '6s' },
      killAfterMs: 60_000,
    });
    stop.push(() => {
      cli.child.kill('SIGKILL');
    });
    const [, url] = await waitForOutput(cli.stderr, /Page on (http:\/\/127\.0\.0\.1:\d+\/\S+\/)/);
    const link = (await waitForOutput(cli.stdout, /Link\s+(\S+)/))[1]!;
    const { page } = await newTab();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(url!);
    const dark = await pageColours(page);
    expect.soft(dark.background).toBeLessThan(60);
    expect.soft(dark.text).toBeGreaterThan(180);
    expect.soft(await qrAsDrawn(page)).toEqual({ link, lightQuietZone: true });
    await shot(page, 'create-waiting-dark');

    await waitForStatus(page, 'Verified');
    expect((await cli.done).code).toBe(0);
    expect.soft(await page.locator('#verification').innerText()).not.toMatch(/Scan with the phone|Send the message unchanged/);
    await shot(page, 'create-verified-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await pageColours(page);
    expect.soft(light.background).toBeGreaterThan(200);
    expect.soft(light.text).toBeLessThan(60);
    expect.soft(await qrAsDrawn(page)).toEqual({ link, lightQuietZone: true });
    await shot(page, 'create-verified-light');
  });
});
