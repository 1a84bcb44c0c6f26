import type { ProbeResult } from './probe.js';
import type { TunnelEvent, TunnelState } from './types.js';

/**
 * How often the watchdog probes the public URL while a run waits. 25 s: a tunnel that went stale
 * while idle (loca.lt's sockets answering 408, a 503 spell) is noticed within a minute even when
 * a probe itself takes its full time-out, and two or three requests a minute stay far below what a
 * tunnel server could take for abuse (scripted clients hit loca.lt's rate limits, #699).
 */
export const WATCHDOG_INTERVAL_MS = 25_000;

/** How long one watchdog probe may take before the tunnel counts as not answering. */
export const WATCHDOG_PROBE_TIMEOUT_MS = 10_000;

export interface WatchdogOptions {
  /** Between the end of one probe and the start of the next. @default WATCHDOG_INTERVAL_MS */
  intervalMs?: number;
  /** @default WATCHDOG_PROBE_TIMEOUT_MS */
  probeTimeoutMs?: number;
}

export interface Watchdog {
  /** Passes on what the tunnel reported by itself (a drop, a re-opening), so the state follows it. */
  observe(event: TunnelEvent): void;
  /** Stops probing and cuts a probe in flight. Safe to call twice. */
  stop(): void;
}

/**
 * Probes the public URL end to end every `intervalMs` (one probe at a time, never overlapping)
 * and reports the tunnel's state as `state` events when it changes. A failed probe calls `reopen`
 * when the tunnel was opened here; the user's own tunnel (`reopen` absent) is only reported down
 * until a probe gets through again. While the tunnel re-opens by itself, it is not probed.
 */
export function startWatchdog(
  probe: (timeoutMs: number, signal: AbortSignal) => Promise<ProbeResult>,
  emit: (event: TunnelEvent) => void,
  options: WatchdogOptions & { reopen?: (reason: string) => void } = {},
): Watchdog {
  const intervalMs = options.intervalMs ?? WATCHDOG_INTERVAL_MS;
  const stopping = new AbortController();
  let state: TunnelState = 'up';
  let reopening = false;
  let timer: NodeJS.Timeout | undefined;
  const set = (next: TunnelState, reason?: string): void => {
    if (next === state) return;
    const previous = state;
    state = next;
    emit({ type: 'state', state, previous, ...(reason !== undefined ? { reason } : {}) });
  };
  const check = async (): Promise<void> => {
    if (!reopening) {
      set('checking');
      const result = await probe(options.probeTimeoutMs ?? WATCHDOG_PROBE_TIMEOUT_MS, stopping.signal);
      if (stopping.signal.aborted) return;
      if (result.ok) set('up');
      else if (options.reopen) {
        set('re-opening', result.reason);
        options.reopen(`the public URL stopped reaching this listener: ${result.reason}`);
      } else set('down', result.reason);
    }
    schedule();
  };
  const schedule = (): void => {
    if (stopping.signal.aborted) return;
    timer = setTimeout(() => void check(), intervalMs);
    // The run's own sockets keep the process alive while it waits; this timer alone never should.
    timer.unref();
  };
  schedule();
  return {
    observe(event) {
      if (event.type === 'down') {
        reopening = true;
        set('re-opening', event.reason);
      } else if (event.type === 'reopened') {
        reopening = false;
        set('up');
      }
    },
    stop() {
      stopping.abort();
      clearTimeout(timer);
    },
  };
}
