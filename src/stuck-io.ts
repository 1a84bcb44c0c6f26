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
