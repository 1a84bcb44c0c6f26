import type { ChildProcess } from 'node:child_process';
import type { Command } from 'commander';
import type { InspectorHandle, InspectorOptions } from '../inspector/inspector.js';
import type { Output } from './output.js';

/** The local page's flag, shared by `create` and `listen`. */
export interface PageFlags {
  open?: boolean;
}

export function addPageOption(command: Command, what: string): Command {
  return command.option('--open', `show ${what} live on a local page and open it in the browser (BROWSER=none: serve it and print its URL only)`);
}

export const PAGE_ENV_ROW: [string, string] = ['BROWSER', 'none: --open serves the page and prints its URL, without opening a browser'];

/**
 * Starts the page when --open asks (its module is loaded only then), prints its URL, and tries the
 * browser unless BROWSER=none. A browser that cannot be opened is not an error: the URL is there.
 */
export async function startPage(flags: PageFlags, output: Output, options: Omit<InspectorOptions, 'secrets'>): Promise<InspectorHandle | undefined> {
  if (!flags.open) return undefined;
  const { startInspector } = await import('../inspector/inspector.js');
  // The page masks what the terminal masks: one list, the command's protected values.
  const page = await startInspector({ ...options, secrets: output.protectedValues });
  // Asked for explicitly, so shown even with --quiet (which keeps stderr for what was asked).
  if (output.quiet) output.errorStream.write(`Page on ${page.url}\n`);
  output.success(`Page on ${page.url}`);
  output.info(output.c.dim('  Local to this machine: the token in the URL is its key; do not share it.'));
  const opened = await openBrowser(page);
  // BROWSER=none asked for exactly this: the page without a browser, so there is nothing to warn about.
  if (opened !== true && opened !== BROWSER_NONE) {
    output.warn(`No browser opened: ${opened}.`);
    output.info(output.c.dim("  Open the page's URL above by hand, in a browser on this machine."));
  }
  return page;
}

const BROWSER_NONE = 'BROWSER=none';

/**
 * How long the system opener (xdg-open, open, PowerShell) gets to say it failed. It hands the page
 * to a running browser and exits within tens of milliseconds; one that is still running after this
 * has started a browser itself (generic xdg-open waits for it), so it is taken as opened.
 */
const OPENER_VERDICT_MS = 1500;

/**
 * Opens the page in the default browser; returns true, or why it did not. The opener (and the
 * browser it starts) is given the path of the page's launch file, never its URL: arguments are
 * visible to every local user (`ps`), and the URL's token is the page's only key.
 */
async function openBrowser(page: InspectorHandle): Promise<true | string> {
  // BROWSER=none is the convention (create-react-app, Vite) for "never launch a browser".
  if (process.env.BROWSER?.toLowerCase() === 'none') return BROWSER_NONE;
  let path: string;
  try {
    path = await page.launchFile();
  } catch (error) {
    return `the file that leads the browser to the page could not be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  let child: ChildProcess;
  try {
    const { default: open } = await import('open');
    child = await open(path);
  } catch (error) {
    const { code, path: opener } = error as NodeJS.ErrnoException;
    return `${opener ?? 'the system opener'} could not be started (${code ?? (error as Error).message})`;
  }
  // open() resolves once the opener is spawned, not once it found a browser: with no browser and
  // no display, xdg-open exits non-zero afterwards, and only its exit code says so.
  const code = await openerExitCode(child);
  if (code === undefined || code === 0) return true;
  const noDisplay = process.platform !== 'darwin' && process.platform !== 'win32' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
  return `${child.spawnfile} found none to start (exit code ${code})${noDisplay ? ', and there is no display (DISPLAY is not set)' : ''}`;
}

/** The opener's exit code, or undefined while it still runs after OPENER_VERDICT_MS (or ended by a signal). */
function openerExitCode(child: ChildProcess): Promise<number | undefined> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(undefined);
    }, OPENER_VERDICT_MS);
    const onExit = (exitCode: number | null): void => {
      clearTimeout(timer);
      resolve(exitCode ?? undefined);
    };
    child.once('exit', onExit);
    // The launcher may still fail after it started: that is reported through its exit code, not thrown.
    child.on('error', () => {});
  });
}
