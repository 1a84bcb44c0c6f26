import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { waitForOutput } from '../helpers/cli.js';
import { CuttingProxy } from '../helpers/cutting-proxy.js';
import { killAll, localUrlOf, send, startListen } from '../helpers/listen-process.js';
import { until } from '../helpers/until.js';

// The page over a long run, in headless Chromium: what it keeps, what it shows after its stream
// was cut, and how --open hands it to a browser.
let browser: Awaited<ReturnType<typeof launchBrowser>>;
beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});
const tabs: Page[] = [];
afterEach(async () => {
  for (const tab of tabs.splice(0)) await tab.close();
  await killAll();
});

async function newTab(): Promise<Page> {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  tabs.push(page);
  return page;
}

const PAGE_URL = /Page on (http:\/\/127\.0\.0\.1:\d+\/\S+\/)/;

/** `count` deliveries to the listener, one after another, each answered 200. */
async function deliver(webhook: string, count: number, body = (i: number): string => `{"verificationID":"v-${i}"}`): Promise<void> {
  for (let i = 0; i < count; i++) expect((await send(webhook, { headers: { 'content-type': 'application/json' }, body: body(i) })).status).toBe(200);
}

/** The delivery numbers the page shows, top to bottom. */
async function shownSeqs(page: Page): Promise<number[]> {
  return page.evaluate("[...document.querySelectorAll('#deliveries li')].map((li) => Number(li.dataset.seq))") as Promise<number[]>;
}

describe('the page over a long run', () => {
  it('after its event stream is cut and comes back, shows each delivery once, and the ones it missed', async () => {
    // Its own browser, whose requests go through a proxy that can cut them: a dropped network.
    const proxy = new CuttingProxy();
    await proxy.start();
    const proxied = await launchBrowser({ proxy: proxy.url });
    try {
      const listen = startListen(['--open', '--tunnel', 'none'], { env: { BROWSER: 'none' }, killAfterMs: 60_000 });
      const url = (await waitForOutput(listen.stderr, PAGE_URL))[1]!;
      const webhook = await localUrlOf(listen);
      await deliver(webhook, 50);
      const page = await proxied.context.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(url);
      await page.locator('#counts', { hasText: '50 accepted, 0 refused' }).waitFor();
      expect(await page.locator('#deliveries li').count()).toBe(50);

      proxy.cut();
      await page.locator('#connection', { hasText: 'Not connected' }).waitFor();
      await deliver(webhook, 5);
      // EventSource reconnects by itself (the stream asks for 1 s) and gets the snapshot.
      await page.locator('#counts', { hasText: '55 accepted, 0 refused' }).waitFor();
      const seqs = await shownSeqs(page);
      expect(seqs).toHaveLength(55);
      expect(new Set(seqs).size).toBe(55);
      expect(await page.locator('#hidden').isHidden()).toBe(true);
    } finally {
      await proxied.close();
      await proxy.stop();
    }
  }, 60_000);

  it('keeps the most recent 200 and says how many are hidden; a large body is cut with its size; a long path wraps in its card', async () => {
    const listen = startListen(['--open', '--tunnel', 'none'], { env: { BROWSER: 'none' }, killAfterMs: 90_000 });
    const url = (await waitForOutput(listen.stderr, PAGE_URL))[1]!;
    const webhook = await localUrlOf(listen);
    const page = await newTab();
    await page.goto(url);
    await page.locator('#status', { hasText: 'Listening for deliveries' }).waitFor();
    await deliver(webhook, 229);
    // The last one: a 60 KB body, to a path with a long query that has nowhere to break.
    await deliver(`${webhook}?trace=${'a'.repeat(400)}`, 1, () => JSON.stringify({ verificationID: 'v-big', pad: 'x'.repeat(60_000) }));
    await page.locator('#counts', { hasText: '230 accepted, 0 refused' }).waitFor();
    const live = await shownSeqs(page);
    expect(live).toHaveLength(200);
    expect(await page.locator('#hidden').textContent()).toBe('30 earlier deliveries not shown');

    const newest = page.locator('#deliveries li').first();
    await newest.locator('summary').click();
    expect((await newest.locator('pre.body').textContent())!.length).toBeLessThan(17_000);
    expect(await newest.locator('.body-truncated').textContent()).toBe('Truncated: 58.6 KiB came; the start is shown.');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);

    // A page opened now gets the same 200 from the server's snapshot.
    await page.reload();
    await page.locator('#counts', { hasText: '230 accepted, 0 refused' }).waitFor();
    expect(await shownSeqs(page)).toEqual(live);
    expect(await page.locator('#hidden').textContent()).toBe('30 earlier deliveries not shown');
  }, 90_000);
});

describe('--open', () => {
  it('hands the browser a file, never the token; the browser following it reaches the page, and the file is deleted', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'fake-browser-'));
    const argvFile = join(bin, 'argv.txt');
    // BROWSER is what xdg-open runs where there is no desktop: here, a script that records its arguments.
    await writeFile(join(bin, 'browser'), `#!/bin/sh\necho "$@" > "${argvFile}"\n`);
    await chmod(join(bin, 'browser'), 0o755);
    try {
      const cli = startListen(['--open', '--tunnel', 'none'], {
        env: { BROWSER: join(bin, 'browser'), DISPLAY: undefined, WAYLAND_DISPLAY: undefined },
        killAfterMs: 60_000,
      });
      const url = (await waitForOutput(cli.stderr, PAGE_URL))[1]!;
      const argv = (await until(() => readFile(argvFile, 'utf8').catch(() => ''), 'the browser to be started')).trim();
      expect(argv).not.toContain(new URL(url).pathname.split('/')[1]!);
      const page = await newTab();
      await page.goto(pathToFileURL(argv).href);
      await page.locator('#status', { hasText: 'Listening for deliveries' }).waitFor();
      expect(page.url()).toBe(`${url}?launch`);
      expect(existsSync(dirname(argv))).toBe(false);
      cli.child.kill('SIGTERM');
      expect((await cli.done).code).toBe(0);
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  }, 60_000);
});
