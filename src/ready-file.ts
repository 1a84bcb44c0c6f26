import { watch } from 'node:fs';
import { rm, truncate } from 'node:fs/promises';
import { connect } from 'node:net';
import { basename, dirname, resolve } from 'node:path';
import { SendtalkVerifyError } from './errors.js';
import { FILE_ERROR, READ_LIMITS, readRegularFile, removeIfUnchanged, replaceFile, writeTarget, type FileRole, type WrittenFile } from './safe-file.js';

/**
 * A ready file tells a script that a server is listening: it appears, complete, only once the
 * server accepts connections, and holds the server's URL on one line. Written to a temporary name
 * and renamed, so a reader never sees half of it.
 */
const ROLE: FileRole = {
  flag: '--ready-file',
  noun: 'the ready file',
  hint: 'Pass --ready-file a new path (or an earlier ready file): it is written when the server listens and removed when it stops.',
};

/** What this tool writes in a ready file: one http(s) URL on one line, nothing else. */
function isReadyFileText(bytes: Buffer): boolean {
  return bytes.length === 0 || /^https?:\/\/[^\s]+\n?$/.test(bytes.toString('utf8'));
}

/**
 * Clears the way before the server starts: a ready file left by an earlier run would tell a waiting
 * script "ready" too soon, so it goes; an empty file goes too. Anything else at the path (a file
 * with other content, a directory, a FIFO…) is refused, before anything has started.
 */
export async function clearReadyFile(path: string): Promise<void> {
  const { target, existing } = await writeTarget(path, ROLE);
  if (!existing) return;
  const current = await readRegularFile(target, ROLE, READ_LIMITS.readyFile).catch(() => undefined);
  if (!current || !isReadyFileText(current)) {
    throw new SendtalkVerifyError('usage', `The ready file ${path} already exists and is not a ready file; it is left as it is.`, { hint: ROLE.hint });
  }
  // Through a link, the file it names is emptied (the link stays the user's); otherwise it goes.
  if (target !== resolve(path)) await truncate(target, 0);
  else await rm(target, { force: true });
}

/** Writes the ready file (replacing only an empty or earlier ready file); returns what to remove at the end. */
export async function writeReadyFile(path: string, url: string): Promise<WrittenFile> {
  return replaceFile(path, Buffer.from(`${url}\n`), ROLE, { mode: 0o644, mayReplace: isReadyFileText, maxExistingBytes: READ_LIMITS.readyFile });
}

/** Removes the ready file this run wrote, unless it has changed since (then it is someone else's). */
export async function removeReadyFile(written: WrittenFile): Promise<void> {
  await removeIfUnchanged(written);
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
    const end = (ok: boolean): void => {
      socket.destroy();
      answer(ok);
    };
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
      readRegularFile(full, { ...ROLE, flag: 'wait' }, READ_LIMITS.readyFile).then(
        async (bytes) => {
          const url = bytes.toString('utf8').trim();
          // A file left by a run that has ended names a port nobody listens on: wait for the new one.
          if (url && (await accepts(url))) finish(undefined, url);
        },
        (error: SendtalkVerifyError) => {
          if (error.code !== FILE_ERROR.missing) finish(error);
        },
      );
    };
    const onAbort = (): void => finish(signal!.reason);
    try {
      watcher = watch(dirname(full), (_event, changed) => {
        if (changed === null || changed === name) check();
      });
      watcher.on('error', (error) => finish(error));
    } catch (error) {
      finish(
        new SendtalkVerifyError(
          'usage',
          `Cannot watch ${dirname(full)} for the ready file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
          {
            hint: 'Check that the directory of the ready file exists.',
            cause: error,
          },
        ),
      );
      return;
    }
    timer = setTimeout(
      () =>
        finish(
          new SendtalkVerifyError('timeout', `${path} did not appear within ${Math.round(timeoutMs / 1000)} s.`, {
            hint: 'Is the emulator running with --ready-file pointing at this path? Its own output says why it did not start.',
          }),
        ),
      timeoutMs,
    );
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    check(); // it may already be there
  });
}
