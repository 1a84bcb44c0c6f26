import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The query the launch file adds to the page's URL: a request that carries it followed the file. */
export const LAUNCH_QUERY = 'launch';

export interface LaunchFile {
  readonly path: string;
  /** Deletes the file and its directory; safe to call more than once. */
  remove(): void;
}

/**
 * A browser launcher's arguments can be read by every local user (`ps`), so the page's URL, whose
 * token is the page's only key, is never one of them. The launcher is given the path of this file
 * instead: readable by this user only (0600, in a directory of its own that mkdtemp makes 0700),
 * it sends the browser on to the URL. It is deleted once followed, when the page closes, and at
 * the latest when the process exits.
 */
export async function writeLaunchFile(url: string): Promise<LaunchFile> {
  const dir = await mkdtemp(join(tmpdir(), 'sendtalk-verify-page-'));
  const path = join(dir, 'open-page.html');
  const target = attribute(`${url}?${LAUNCH_QUERY}`);
  const html = `<!doctype html>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url=${target}">
<title>sendtalk-verify</title>
<p><a href="${target}">Open the sendtalk-verify page</a></p>
`;
  try {
    await writeFile(path, html, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    process.off('exit', remove);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', remove);
  return { path, remove };
}

function attribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
