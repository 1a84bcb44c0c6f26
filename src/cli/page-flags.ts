import type { Command } from 'commander';
import type { InspectorHandle, InspectorOptions } from '../inspector/inspector.js';
import type { Output } from './output.js';

/** The local page's flags, shared by `create` and `listen`. */
export interface PageFlags {
  open?: boolean;
  ui?: boolean;
}

export function addPageOptions(command: Command, what: string): Command {
  return command
    .option('--open', `show ${what} live on a local page and open it in the browser (BROWSER=none: print its URL only)`)
    .option('--ui', 'serve that page without opening a browser; its URL is printed');
}

export function pageEnvHelp(): string {
  return '  BROWSER                  none: --open prints the page URL without opening a browser\n';
}

/**
 * Starts the page when --open or --ui asks (its module is loaded only then), prints its URL, and
 * with --open tries the browser. A browser that cannot be opened is not an error: the URL is there.
 */
export async function startPage(flags: PageFlags, output: Output, options: InspectorOptions): Promise<InspectorHandle | undefined> {
  if (!flags.open && !flags.ui) return undefined;
  const { startInspector } = await import('../inspector/inspector.js');
  const page = await startInspector(options);
  // Asked for explicitly, so shown even with --quiet (which keeps stderr for what was asked).
  if (output.quiet) output.errorStream.write(`Page on ${page.url}\n`);
  output.success(`Page on ${page.url}`);
  output.info(output.c.dim('  Local to this machine: the token in the URL is its key; do not share it.'));
  if (flags.open) {
    const opened = await openBrowser(page.url);
    if (opened !== true) output.info(`  No browser opened (${opened}): open the URL above yourself.`);
  }
  return page;
}

/** Opens `url` in the default browser; returns true, or why it did not. */
async function openBrowser(url: string): Promise<true | string> {
  // BROWSER=none is the convention (create-react-app, Vite) for "never launch a browser".
  if (process.env.BROWSER?.toLowerCase() === 'none') return 'BROWSER=none';
  try {
    const { default: open } = await import('open');
    const child = await open(url);
    // The launcher may still fail after it started (no browser installed): that is not our error.
    child.on('error', () => {});
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}
