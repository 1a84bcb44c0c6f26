import { open, type FileHandle } from 'node:fs/promises';
import { SendtalkVerifyError } from '../errors.js';
import { toLogRecord } from './delivery-log.js';
import type { Delivery } from './listener.js';

export interface DeliveryLogWriter {
  readonly path: string;
  /** Appends one NDJSON record; resolves once the line is handed to the operating system. */
  write(delivery: Delivery): Promise<void>;
  /** Waits for pending writes, then closes the file. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the `listen --log` file for appending. Each record is one `write`
 * of a whole line, in order, with no buffering in this process: once `write` resolves the line
 * survives a crash of the CLI, which is why the listener awaits it before answering 200.
 * The file is created private (0600): it holds phone numbers and payloads, though never a secret.
 */
export async function openDeliveryLog(path: string): Promise<DeliveryLogWriter> {
  let file: FileHandle;
  try {
    file = await open(path, 'a', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new SendtalkVerifyError('usage', `Cannot open the log file ${path} (${code}).`, {
      hint: code === 'ENOENT' ? 'Create its directory first, or pass another --log path.' : 'Check its permissions, or pass another --log path.',
    });
  }
  // A previous run that died in the middle of a line (power loss, a full disk) left it unfinished:
  // start on a fresh line, so that the torn one stays alone and every record after it parses.
  if (await endsMidLine(path)) await file.appendFile('\n').catch(() => {});
  let queue: Promise<void> = Promise.resolve();
  let closing: Promise<void> | undefined;
  return {
    path,
    write(delivery) {
      if (closing) return Promise.reject(new Error('the log file is closed'));
      const line = `${JSON.stringify(toLogRecord(delivery))}\n`;
      // Chained so lines never interleave and keep the order deliveries were answered in.
      const written = queue.then(async () => {
        await file.appendFile(line);
      });
      queue = written.catch(() => {});
      return written;
    },
    close() {
      closing ??= queue.then(() => file.close());
      return closing;
    },
  };
}

/** True when `path` is a regular file whose last byte is not a newline; false when it cannot tell. */
async function endsMidLine(path: string): Promise<boolean> {
  let reader: FileHandle | undefined;
  try {
    reader = await open(path, 'r');
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
