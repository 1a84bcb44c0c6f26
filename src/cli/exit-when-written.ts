import { ioIsStuck } from '../safe-file.js';
import { endBySignal, stopSignal } from './signals.js';

/**
 * Ends the process once stdout and stderr have handed every queued byte to their readers.
 *
 * A pipe is written asynchronously: `process.exit` right after a large write drops whatever the
 * reader has not taken yet (the document is cut at 64 KiB, the pipe's buffer, and the exit code
 * still says 0). A write of nothing with a callback is answered only after every earlier write on
 * that stream, so it tells when all of them are done, however slow the reader. A write that fails
 * (the reader went away) ends the wait too: there is no one left to wait for.
 */
export function exitWhenWritten(code: number, streams: NodeJS.WritableStream[] = [process.stdout, process.stderr]): void {
  process.exitCode = code;
  let waiting = streams.length;
  const one = (): void => {
    waiting -= 1;
    if (waiting === 0) exitNow(code);
  };
  for (const stream of streams) {
    const writable = stream as NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean };
    if (writable.destroyed || writable.writableEnded) {
      one();
      continue;
    }
    try {
      writable.write('', () => one());
    } catch {
      one();
    }
  }
}

/**
 * `process.exit`, unless a file operation is still blocked in a thread (a stalled disk): then
 * `process.exit` would wait for that thread forever, so the process ends by the signal that stopped
 * it, or by SIGKILL, and says which exit code it could not deliver.
 */
function exitNow(code: number): void {
  if (!ioIsStuck()) process.exit(code);
  const signal = stopSignal() ?? 'SIGKILL';
  process.stderr.write(`✖ A file write is still blocked (a stalled disk?): ending by ${signal}, as exit ${code} would wait for it.\n`);
  endBySignal(signal);
}
