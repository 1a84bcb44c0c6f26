import { afterEach, describe, expect, it, vi } from 'vitest';
import { interruptOnSignals } from '../../src/cli/signals.js';
import { markStuckIo } from '../../src/safe-file.js';

/**
 * A second Ctrl-C must end the process whatever a thread is blocked on: process.exit would wait
 * for such a thread forever, so the signal's default action ends it, always.
 * The process functions are stubbed: the signals are emitted, not sent.
 */
afterEach(() => {
  vi.restoreAllMocks();
});

function interruptTwice() {
  const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
  const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
  vi.spyOn(process, 'removeAllListeners').mockImplementation(() => process);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const interrupt = interruptOnSignals({ graceMs: 60_000 });
  try {
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGINT', 'SIGINT');
  } finally {
    interrupt.dispose();
  }
  return { exit, kill };
}

describe('the second Ctrl-C', () => {
  it('ends by the signal itself, never by process.exit (which waits for every thread of the pool)', () => {
    const { exit, kill } = interruptTwice();
    expect(kill).toHaveBeenCalledWith(process.pid, 'SIGINT');
    expect(exit).not.toHaveBeenCalled();
  });

  it('does the same while a file write is stuck in a thread', () => {
    const unstuck = markStuckIo();
    try {
      const { exit, kill } = interruptTwice();
      expect(kill).toHaveBeenCalledWith(process.pid, 'SIGINT');
      expect(exit).not.toHaveBeenCalled();
    } finally {
      unstuck();
    }
  });
});
