import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, waitForOutput } from '../helpers/cli.js';
import { killAll, startListen } from '../helpers/listen-process.js';
import { until } from '../helpers/until.js';

let bin: string;
beforeEach(async () => {
  // A stand-in for the desktop's opener: it only records what it was asked to open.
  bin = await mkdtemp(join(tmpdir(), 'fake-opener-'));
  // It also keeps what the file it was given said, and its mode, before the run deletes it.
  await writeFile(
    join(bin, 'xdg-open'),
    `#!/bin/sh\necho "$@" >> "${join(bin, 'opened.txt')}"\n[ -f "$1" ] && { stat -c %a "$1"; stat -c %a "$(dirname "$1")"; cat "$1"; } >> "${join(bin, 'seen.txt')}"\nexit 0\n`,
  );
  await chmod(join(bin, 'xdg-open'), 0o755);
});
afterEach(async () => {
  await killAll();
  await rm(bin, { recursive: true, force: true });
});

const opened = (): Promise<string> => readFile(join(bin, 'opened.txt'), 'utf8').catch(() => '');
const pageUrl = (stderr: string): string => /Page on (http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]+\/)/.exec(stderr)![1]!;

describe('--open', () => {
  it('hands the system opener a file only this user can read, never the token; following it reaches the page; it is then deleted', async () => {
    const cli = startListen(['--open', '--tunnel', 'none'], { env: { PATH: `${bin}:${process.env.PATH}`, BROWSER: undefined } });
    const url = (await waitForOutput(cli.stderr, /Page on (http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]+\/)/))[1]!;
    const token = new URL(url).pathname.split('/')[1]!;
    // The opener runs detached: wait for it to have written, bounded by the test's timeout.
    const argv = (await until(opened, 'the opener to record what it was given')).trim();
    expect(argv).not.toContain(token);
    const path = argv;
    const seen = await until(async () => {
      const text = await readFile(join(bin, 'seen.txt'), 'utf8').catch(() => '');
      return text.includes('</p>') ? text : undefined;
    }, 'the opener to copy the file');
    expect(seen.split('\n').slice(0, 2)).toEqual(['600', '700']);
    const target = /url=([^"]+)"/.exec(seen)![1]!;
    expect(target).toBe(`${url}?launch`);
    // A browser following the file reaches the page; the file, which holds the token, is then gone.
    expect(existsSync(path)).toBe(true);
    expect((await fetch(target)).status).toBe(200);
    await until(() => !existsSync(dirname(path)), 'the launch file to be deleted');
    cli.child.kill('SIGTERM');
    expect((await cli.done).code).toBe(0);
    expect(cli.stderr()).not.toMatch(/No browser opened/);
  });

  it('deletes a launch file nobody followed when the command ends', async () => {
    const r = await runCli(['create', '--sandbox', '--open'], { env: { SENDTALK_SANDBOX_DELAY: '0', PATH: bin, BROWSER: undefined } });
    expect(r.code).toBe(0);
    const path = (await until(opened, 'the opener to record what it was given')).trim();
    expect(path).not.toContain(new URL(pageUrl(r.stderr)).pathname.split('/')[1]!);
    expect(existsSync(dirname(path))).toBe(false);
  });

  it('--open with BROWSER=none serves the page, prints its URL and launches nothing, without a warning; --quiet still shows the URL', async () => {
    const none = await runCli(['create', '--sandbox', '--open'], { env: { SENDTALK_SANDBOX_DELAY: '0', PATH: bin, BROWSER: 'none' } });
    expect(none.code).toBe(0);
    expect(pageUrl(none.stderr)).toMatch(/^http:\/\/127\.0\.0\.1:/);
    // Asked for: nothing to warn about.
    expect(none.stderr).not.toMatch(/No browser opened|by hand/);
    const quiet = await runCli(['listen', '--open', '--tunnel', 'none', '--timeout', '200ms', '--quiet'], { env: { PATH: bin, BROWSER: 'none' } });
    expect(quiet.code).toBe(3);
    expect(pageUrl(quiet.stderr)).toMatch(/^http:\/\/127\.0\.0\.1:/);
    expect(await opened()).toBe('');
  });

  it('--ui is gone, and says how to get the same', async () => {
    const r = await runCli(['listen', '--ui', '--tunnel', 'none']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unknown option '--ui'");
    expect(r.stderr).toContain('--ui is now --open with BROWSER=none');
  });
});

describe('--open where no browser can be started', () => {
  it('says that no browser was opened and that the URL can be opened by hand', async () => {
    // A server over SSH: no display, and BROWSER names a program that is not there. The system
    // opener (xdg-open) starts, finds nothing to run and exits non-zero, after open() has resolved.
    const r = await runCli(['create', '--sandbox', '--open'], {
      env: { SENDTALK_SANDBOX_DELAY: '0', BROWSER: '/nonexistent/browser', DISPLAY: undefined, WAYLAND_DISPLAY: undefined },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/No browser opened/);
    expect(r.stderr).toMatch(/open the page's URL above by hand/i);
    // Said once, before the flow goes on: not after the result.
    expect(r.stderr.match(/No browser opened/g)).toHaveLength(1);
    expect(r.stderr.indexOf('No browser opened')).toBeLessThan(r.stderr.indexOf('Verification created'));
  });
});
