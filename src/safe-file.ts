import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { lstat, open, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SendtalkVerifyError } from './errors.js';

/**
 * Opening the paths a user names, safely. Every file the tool reads or writes goes through here:
 * only a regular file (or a link to one) will do, because a FIFO, a device or a socket can block a
 * thread forever, fill memory (/dev/zero) or be destroyed by a rename (/dev/full). Reads open
 * without blocking (O_NONBLOCK: a FIFO with no writer does not hang the open), check the open
 * descriptor (no window between a check and the open), and read at most a stated size.
 * Writes go to a temporary file with an unpredictable name, created exclusively (O_EXCL never
 * follows a link planted in advance), then renamed over the target.
 */

/** The flag that names a file, and what the file is for, as errors word them. */
export interface FileRole {
  /** e.g. `--payload`. */
  flag: string;
  /** e.g. `the payload file`. */
  noun: string;
  /** What to do instead, for every refusal. */
  hint: string;
}

/** The most each reader takes in: a .env or a payload is a few lines; a replay log can hold thousands of deliveries. */
export const READ_LIMITS = {
  dotenv: 1024 * 1024,
  payload: 1024 * 1024,
  replayLog: 256 * 1024 * 1024,
  readyFile: 4096,
} as const;

/** Error codes of the refusals here, for callers that treat one differently (a missing default .env). */
export const FILE_ERROR = { missing: 'ENOENT', notRegular: 'ENOTREG', tooLarge: 'EFBIG' } as const;

/** What a non-regular file is, in words: `a FIFO`, `a character device`… */
export function kindOf(stats: Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isSymbolicLink()) return 'a symlink';
  return 'a special file';
}

/** `a FIFO`, or `a symlink to a FIFO` when the path is a link; undefined when nothing is there. */
function describe(path: string): string | undefined {
  const link = tryStat(() => lstatSync(path));
  if (!link) return undefined;
  if (!link.isSymbolicLink()) return kindOf(link);
  const target = tryStat(() => statSync(path));
  return target ? `a symlink to ${kindOf(target)}` : 'a symlink to nothing';
}

function tryStat(get: () => Stats): Stats | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}

function notRegular(path: string, role: FileRole, what: string): SendtalkVerifyError {
  return new SendtalkVerifyError('usage', `${capital(role.noun)} ${path} is ${what}; ${role.flag} needs a regular file.`, {
    hint: role.hint,
    code: FILE_ERROR.notRegular,
  });
}

function openFailed(path: string, role: FileRole, error: unknown, verb: 'read' | 'write'): SendtalkVerifyError {
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  // ENXIO: a socket, or a FIFO that nobody reads (opened to write without blocking).
  const what = code === 'ENXIO' || code === 'EISDIR' ? describe(path) : undefined;
  if (what && what !== 'a regular file') return notRegular(path, role, what);
  if (code === 'ENOENT' && verb === 'read')
    return new SendtalkVerifyError('usage', `${capital(role.noun)} ${path} does not exist.`, { hint: role.hint, code: FILE_ERROR.missing });
  if (code === 'ENOENT')
    return new SendtalkVerifyError('usage', `Could not write ${role.noun} ${path}: the folder ${dirname(resolve(path))} does not exist.`, {
      hint: `Create it first, or pass another ${role.flag} path.`,
      code,
    });
  return new SendtalkVerifyError('usage', `Could not ${verb} ${role.noun} ${path} (${code}).`, { hint: role.hint, code: String(code), cause: error });
}

function tooLarge(path: string, role: FileRole, maxBytes: number): SendtalkVerifyError {
  return new SendtalkVerifyError('usage', `${capital(role.noun)} ${path} is larger than ${formatBytes(maxBytes)}, the most ${role.flag} reads.`, {
    hint: role.hint,
    code: FILE_ERROR.tooLarge,
  });
}

const capital = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** Reads a regular file of at most `maxBytes`; anything else is a usage error that says what it is. */
export async function readRegularFile(path: string, role: FileRole, maxBytes: number): Promise<Buffer> {
  let file: FileHandle;
  try {
    file = await open(path, READ_FLAGS);
  } catch (error) {
    throw openFailed(path, role, error, 'read');
  }
  try {
    const stats = await file.stat();
    if (!stats.isFile()) throw notRegular(path, role, describe(path) ?? kindOf(stats));
    if (stats.size > maxBytes) throw tooLarge(path, role, maxBytes);
    // One byte more than allowed tells a file that grew since its size was read.
    const buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw tooLarge(path, role, maxBytes);
      if (length === buffer.length) break;
    }
    return buffer.subarray(0, length);
  } finally {
    await file.close().catch(() => {});
  }
}

/**
 * `readRegularFile` for the one reader that runs before anything asynchronous can (configuration):
 * the open cannot block and the read is bounded, so the main thread is held for a moment at most.
 */
export function readRegularFileSync(path: string, role: FileRole, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (error) {
    throw openFailed(path, role, error, 'read');
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw notRegular(path, role, describe(path) ?? kindOf(stats));
    if (stats.size > maxBytes) throw tooLarge(path, role, maxBytes);
    const buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    for (let got = -1; got !== 0 && length < buffer.length; ) {
      got = readSync(fd, buffer, length, buffer.length - length, null);
      length += got;
    }
    if (length > maxBytes) throw tooLarge(path, role, maxBytes);
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Where a write to `path` lands: the path itself, or the regular file a link at it points to
 * (the link is kept, the file it names gets the new content). Refuses an existing path that is
 * not a regular file, and says what it is.
 */
export async function writeTarget(path: string, role: FileRole): Promise<{ target: string; existing?: Stats }> {
  const full = resolve(path);
  const existing = await stat(full).catch(() => undefined);
  if (!existing) {
    // A dangling link would be replaced by the rename: it is not ours to replace.
    const link = await lstat(full).catch(() => undefined);
    if (link) throw notRegular(path, role, describe(full) ?? kindOf(link));
    return { target: full };
  }
  if (!existing.isFile()) throw notRegular(path, role, describe(full) ?? kindOf(existing));
  return { target: await realpath(full), existing };
}

/** What `replaceFile` made: enough to tell later whether the file is still the one written. */
export interface WrittenFile {
  path: string;
  dev: number;
  ino: number;
  data: Buffer;
}

/**
 * Gives `path` the content `data`, whole or not at all: a temporary file with an unpredictable name
 * is created exclusively beside the target, written, and renamed over it. `mayReplace` decides,
 * from its content, whether an existing regular file may be replaced.
 */
export async function replaceFile(
  path: string,
  data: Buffer,
  role: FileRole,
  options: { mode?: number; mayReplace?: (existing: Buffer) => boolean; maxExistingBytes?: number } = {},
): Promise<WrittenFile> {
  const { target, existing } = await writeTarget(path, role);
  if (existing && options.mayReplace) {
    const current = await readRegularFile(target, role, options.maxExistingBytes ?? READ_LIMITS.readyFile).catch(() => undefined);
    if (!current || !options.mayReplace(current)) {
      throw new SendtalkVerifyError('usage', `${capital(role.noun)} ${path} already exists and was not written by this tool; it is left as it is.`, {
        hint: role.hint,
      });
    }
  }
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(12).toString('hex')}.tmp`);
  let file: FileHandle | undefined;
  try {
    file = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, options.mode ?? 0o644);
    await file.writeFile(data);
    const { dev, ino } = await file.stat();
    await file.close();
    file = undefined;
    await rename(temporary, target);
    return { path: target, dev, ino, data };
  } catch (error) {
    await file?.close().catch(() => {});
    // Only a file this call created is removed: O_EXCL failed before making anything otherwise.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') await rm(temporary, { force: true });
    throw openFailed(path, role, error, 'write');
  }
}

/** Removes `written` if the file at its path is still the one written, unchanged; leaves anything else. */
export async function removeIfUnchanged(written: WrittenFile): Promise<boolean> {
  const now = await lstat(written.path).catch(() => undefined);
  if (!now || now.dev !== written.dev || now.ino !== written.ino || now.size !== written.data.length) return false;
  const content = await readRegularFile(written.path, { flag: '', noun: 'the file', hint: '' }, written.data.length).catch(() => undefined);
  if (!content?.equals(written.data)) return false;
  await rm(written.path, { force: true });
  return true;
}

/**
 * Opens `path` to append, creating it private (0600) if missing. Never blocks on a FIFO (O_NONBLOCK:
 * with no reader the open fails, with one the check below refuses it) and refuses anything but a
 * regular file. `created` says whether this call made the file.
 */
export async function openForAppend(path: string, role: FileRole): Promise<{ file: FileHandle; created: boolean; stats: Stats }> {
  const base = constants.O_WRONLY | constants.O_APPEND | constants.O_NONBLOCK | constants.O_NOCTTY;
  let file: FileHandle;
  let created = true;
  try {
    try {
      file = await open(path, base | constants.O_CREAT | constants.O_EXCL, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      created = false;
      file = await open(path, base);
    }
  } catch (error) {
    throw openFailed(path, role, error, 'write');
  }
  const stats = await file.stat();
  if (!stats.isFile()) {
    await file.close().catch(() => {});
    throw notRegular(path, role, describe(path) ?? kindOf(stats));
  }
  return { file, created, stats };
}

/** Removes the file this run created at `path` if it is still that file and still empty. */
export async function removeIfEmpty(path: string, made: Stats): Promise<void> {
  const now = await lstat(path).catch(() => undefined);
  if (now && now.isFile() && now.size === 0 && now.dev === made.dev && now.ino === made.ino) await rm(path, { force: true });
}

/**
 * Counts file operations that outlived their bound and may still be blocked in a thread of libuv's
 * pool (a stalled disk, a hung network mount). While one is, `process.exit` itself would hang: at
 * exit libuv waits for its threads. The forced exit (a second Ctrl-C) asks here, and ends the
 * process by the signal's default action instead.
 */
let stuck = 0;

/** Records one operation past its bound; the returned function records that it has finished. */
export function markStuckIo(): () => void {
  stuck++;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    stuck--;
  };
}

export function ioIsStuck(): boolean {
  return stuck > 0;
}
