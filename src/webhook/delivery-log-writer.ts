import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { markStuckIo, openForAppend, removeIfEmpty } from '../safe-file.js';
import { toLogRecord } from './delivery-log.js';
import type { Delivery } from './delivery.js';

export interface DeliveryLogWriter {
  readonly path: string;
  /**
   * Permission bits of an existing log file that others may read or write (it holds phone
   * numbers), e.g. 0o644; undefined when the file is private or was created by this run.
   */
  readonly looseMode?: number;
  /** Appends one NDJSON record; resolves once the line is handed to the operating system. */
  write(delivery: Delivery): Promise<void>;
  /** Appends another kind of record (a summary), in the same queue and with the same bound. */
  append(record: { type: string }): Promise<void>;
  /** Waits for pending writes (each bounded by the write time-out), then closes the file. Safe to call twice. */
  close(): Promise<void>;
}

export interface DeliveryLogOptions {
  /**
   * How long one record may wait to be written (its turn in the queue included) before its write
   * fails: a stalled disk must turn into "not recorded" answers (SendTalk retries them), not
   * deliveries that are never answered. @default 5000
   */
  writeTimeoutMs?: number;
  /**
   * Make each record durable (fdatasync) before its write resolves, so an acknowledged delivery
   * survives a power cut, not only a crash. Group commit: one fdatasync covers every record written
   * while the previous one ran, so the cost is one sync per batch, not per delivery. @default false
   */
  fsync?: boolean;
}

/** The part of a file the writer uses: an append, a data sync (with `fsync`) and a close. */
export interface AppendTarget {
  appendFile(data: string): Promise<void>;
  datasync?(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the `listen --log` file for appending. Each record is one `write`
 * of a whole line, in order, with no buffering in this process: once `write` resolves the line
 * survives a crash of the CLI, which is why the listener awaits it before answering 200.
 * The file is created private (0600): it holds phone numbers and payloads, though never a secret.
 * Only a regular file will do (see `openForAppend`): a FIFO or a device can block forever, and a
 * thread blocked on one keeps the process alive whatever signal it gets. A file this run created
 * and never wrote to is removed on close: a run that failed before its first record leaves nothing.
 */
export async function openDeliveryLog(path: string, options: DeliveryLogOptions = {}): Promise<DeliveryLogWriter> {
  const { file, created, stats } = await openForAppend(path, {
    flag: '--log',
    noun: 'the log file',
    hint: 'Pass the path of a regular file (it is created if missing); to watch deliveries live, use --json and a pipe.',
  });
  // A file this run created has the 0600 asked for; an older one keeps the mode it had.
  const mode = stats.mode & 0o777;
  const looseMode = stats.size > 0 && (mode & 0o077) !== 0 ? mode : undefined;
  // A previous run that died in the middle of a line (power loss, a full disk) left it unfinished:
  // start on a fresh line, so that the torn one stays alone and every record after it parses.
  if (await endsMidLine(path)) await file.appendFile('\n').catch(() => {});
  const target: AppendTarget = created
    ? { appendFile: (data) => file.appendFile(data), datasync: () => file.datasync(), close: () => file.close().then(() => removeIfEmpty(path, stats)) }
    : file;
  return { ...deliveryLogWriter(path, target, options), ...(looseMode === undefined ? {} : { looseMode }) };
}

/** The queue of a log writer over any append target (a file, or a stalled one in tests). */
export function deliveryLogWriter(path: string, file: AppendTarget, options: DeliveryLogOptions = {}): DeliveryLogWriter {
  const timeoutMs = options.writeTimeoutMs ?? 5000;
  const sync = options.fsync ? groupCommit(file) : undefined;
  let queue: Promise<void> = Promise.resolve();
  let closing: Promise<void> | undefined;
  const writer: DeliveryLogWriter = {
    path,
    write(delivery) {
      return writer.append(toLogRecord(delivery));
    },
    append(record) {
      if (closing) return Promise.reject(new Error('the log file is closed'));
      const line = `${JSON.stringify(record)}\n`;
      let gaveUp = false;
      let unstuck: (() => void) | undefined;
      // Chained so lines never interleave and keep the order deliveries were answered in. A record
      // whose caller gave up before its turn is not written: it was answered "not recorded".
      const written = queue.then(async () => {
        if (!gaveUp) await file.appendFile(line);
      });
      // With fsync, the line counts as written once a sync that started after it has finished.
      const durable = sync ? written.then(() => sync()) : written;
      durable.catch(() => {}).finally(() => unstuck?.());
      const answered = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          gaveUp = true;
          // Still running (not merely queued) means a thread may be blocked in the write.
          unstuck = markStuckIo();
          reject(new Error(`the log write did not finish within ${timeoutMs} ms (is the disk stalled?)`));
        }, timeoutMs);
        durable.then(
          () => {
            clearTimeout(timer);
            resolve();
          },
          (error: unknown) => {
            clearTimeout(timer);
            reject(error);
          },
        );
      });
      // The next line starts once this one is down and its caller has heard so (a 200 is not held
      // up behind the next write). With fsync it starts as soon as this one is appended, so that
      // the lines appended during a sync are all covered by the next one.
      queue = (
        sync
          ? written
          : written.then(
              () => answered,
              () => {},
            )
      ).catch(() => {});
      return answered;
    },
    close() {
      // A write that never finishes must not hold the exit either.
      closing ??= within(queue, timeoutMs).then(() => within(file.close(), timeoutMs));
      return closing;
    },
  };
  return writer;
}

/**
 * Resolves once `work` settles, or after `ms` at most: then the work is counted as stuck (a thread
 * may be blocked in it) until it settles. A close waits for the writes still in flight.
 */
function within(work: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      const unstuck = markStuckIo();
      work.catch(() => {}).finally(unstuck);
      resolve();
    }, ms);
    work
      .catch(() => {})
      .finally(() => {
        clearTimeout(timer);
        resolve();
      });
  });
}

/**
 * Group commit: `sync()` resolves after an fdatasync that started after the call. Calls made while
 * a sync runs share the next one, so a burst of deliveries costs one or two syncs, not one each.
 */
function groupCommit(file: AppendTarget): () => Promise<void> {
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const run = (): Promise<void> => (file.datasync ? file.datasync() : Promise.resolve());
  return () => {
    if (!running) {
      running = run().finally(() => {
        running = undefined;
      });
      return running;
    }
    // A sync is running, which may have started before this line was appended: wait for the next.
    next ??= running
      .catch(() => {})
      .then(() => {
        next = undefined;
        running = run().finally(() => {
          running = undefined;
        });
        return running;
      });
    return next;
  };
}

/** True when `path` is a regular file whose last byte is not a newline; false when it cannot tell. */
async function endsMidLine(path: string): Promise<boolean> {
  let reader: FileHandle | undefined;
  try {
    reader = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const stats = await reader.stat();
    if (!stats.isFile() || stats.size === 0) return false;
    const last = Buffer.alloc(1);
    await reader.read(last, 0, 1, stats.size - 1);
    return last[0] !== 0x0a;
  } catch {
    return false; // a log that cannot be read back is written as it is
  } finally {
    await reader?.close().catch(() => {});
  }
}
