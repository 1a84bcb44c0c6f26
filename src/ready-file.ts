import { watch } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { basename, dirname, resolve } from 'node:path';
import { SendtalkVerifyError } from './errors.js';

/**
 * A ready file tells a script that a server is listening: it appears, complete, only once the
 * server accepts connections, and holds the server's URL on one line. Written to a temporary name
 * and renamed, so a reader never sees half of it.
 */
export async function writeReadyFile(path: string, url: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, `${url}\n`, { mode: 0o644 });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new SendtalkVerifyError('usage', `Could not write the ready file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, {
      hint: 'Pass --ready-file a path in a directory you can write to.',
      cause: error,
    });
  }
}

/** Removes a ready file (a stale one at start, ours on close): a missing file is fine. */
export async function removeReadyFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** Whether something accepts TCP connections at the URL's host and port. */
function accepts(url: string): Promise<boolean> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve(false);
  }
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  return new Promise((answer) => {
    const socket = connect({ host: target.hostname.replace(/^\[|\]$/g, ''), port });
    socket.setTimeout(2000);
    const end = (ok: boolean): void => { socket.destroy(); answer(ok); };
    socket.once('connect', () => end(true));
    socket.once('error', () => end(false));
    socket.once('timeout', () => end(false));
  });
}

/**
 * Resolves with the URL in `path` once the file is there and its server accepts connections, watching its directory (no polling);
 * rejects with a `timeout` error after `timeoutMs`, or when `signal` aborts.
 */
export async function waitForReadyFile(path: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  const full = resolve(path);
  const name = basename(full);
  return new Promise<string>((settle, fail) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let watcher: ReturnType<typeof watch> | undefined;
    const finish = (error: unknown, url?: string): void => {
      if (done) return;
      done = true;
      watcher?.close();
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) fail(error);
      else settle(url!);
    };
    const check = (): void => {
      readFile(full, 'utf8').then(async (text) => {
        const url = text.trim();
        // A file left by a run that has ended names a port nobody listens on: wait for the new one.
        if (url && await accepts(url)) finish(undefined, url);
      }, (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') finish(new SendtalkVerifyError('usage', `Could not read the ready file ${path}: ${error.code ?? error.message}.`, { cause: error }));
      });
    };
    const onAbort = (): void => finish(signal!.reason);
    try {
      watcher = watch(dirname(full), (_event, changed) => { if (changed === null || changed === name) check(); });
      watcher.on('error', (error) => finish(error));
    } catch (error) {
      finish(new SendtalkVerifyError('usage', `Cannot watch ${dirname(full)} for the ready file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, {
        hint: 'Check that the directory of the ready file exists.',
        cause: error,
      }));
      return;
    }
    timer = setTimeout(() => finish(new SendtalkVerifyError('timeout', `${path} did not appear within ${Math.round(timeoutMs / 1000)} s.`, {
      hint: 'Is the emulator running with --ready-file pointing at this path? Its own output says why it did not start.',
    })), timeoutMs);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    check(); // it may already be there
  });
}
