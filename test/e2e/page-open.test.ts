import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { until } from '../helpers/until.js';

let bin: string;
beforeEach(async () => {
  // A stand-in for the desktop's opener: it only records what it was asked to open.
  bin = await mkdtemp(join(tmpdir(), 'fake-opener-'));
  await writeFile(join(bin, 'xdg-open'), `#!/bin/sh\necho "$@" >> "${join(bin, 'opened.txt')}"\n`);
  await chmod(join(bin, 'xdg-open'), 0o755);
});
afterEach(async () => { await rm(bin, { recursive: true, force: true }); });

const opened = (): Promise<string> => readFile(join(bin, 'opened.txt'), 'utf8').catch(() => '');
const pageUrl = (stderr: string): string => /Page on (http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]+\/)/.exec(stderr)![1]!;

describe('--open', () => {
  it('hands the page URL, token included, to the system opener', async () => {
    const r = await runCli(['create', '--sandbox', '--sandbox-delay', '0', '--open'], { env: { PATH: bin, BROWSER: undefined } });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/No browser opened/);
    // The opener runs detached: wait for it to have written, bounded by the test's timeout.
    const seen = await until(opened, 'the opener to write the URL it was given');
    expect(seen.trim()).toBe(pageUrl(r.stderr));
  });

  it('with BROWSER=none prints the URL and launches nothing; --ui never launches; --quiet still shows the URL', async () => {
    const none = await runCli(['create', '--sandbox', '--sandbox-delay', '0', '--open'], { env: { PATH: bin, BROWSER: 'none' } });
    expect(none.code).toBe(0);
    expect(none.stderr).toMatch(/No browser opened: BROWSER=none\.\n.*Open the page's URL above by hand/);
    const ui = await runCli(['listen', '--ui', '--tunnel', 'none', '--timeout', '200ms', '--quiet'], { env: { PATH: bin, BROWSER: undefined } });
    expect(ui.code).toBe(3);
    expect(pageUrl(ui.stderr)).toMatch(/^http:\/\/127\.0\.0\.1:/);
    expect(await opened()).toBe('');
  });
});

describe('--open where no browser can be started', () => {
  it('says that no browser was opened and that the URL can be opened by hand', async () => {
    // A server over SSH: no display, and BROWSER names a program that is not there. The system
    // opener (xdg-open) starts, finds nothing to run and exits non-zero, after open() has resolved.
    const r = await runCli(['create', '--sandbox', '--sandbox-delay', '0', '--open'],
      { env: { BROWSER: '/nonexistent/browser', DISPLAY: undefined, WAYLAND_DISPLAY: undefined } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/No browser opened/);
    expect(r.stderr).toMatch(/open the page's URL above by hand/i);
    // Said once, before the flow goes on: not after the result.
    expect(r.stderr.match(/No browser opened/g)).toHaveLength(1);
    expect(r.stderr.indexOf('No browser opened')).toBeLessThan(r.stderr.indexOf('Verification created'));
  });
});
