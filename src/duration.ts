import { SendtalkVerifyError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses `30s`, `2m`, `1h`, `1m30s`, `250ms` or a bare number of seconds into milliseconds.
 * `flag` names the option in the error so the user knows which value to fix.
 */
export function parseDuration(input: string, flag = 'duration'): number {
  const text = input.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return checkMaximum(Math.round(Number(text) * 1000), flag, input);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(part)) {
    if (match.index !== consumed) break;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== text.length) {
    throw new SendtalkVerifyError('usage', `${flag} "${input}" is not a duration.`, {
      hint: `Write it as 30s, 2m, 1h, 1m30s, 500ms or a number of seconds.`,
    });
  }
  return checkMaximum(Math.round(total), flag, input);
}

/**
 * A time-out flag: a duration above zero. The one rule for every `--…timeout`: zero would end the
 * wait before it began (or, for some, mean "no limit"), so it is a usage error, never a silent choice.
 */
export function parseTimeout(input: string, flag: string, hint = `Pass e.g. ${flag} 30s.`): number {
  const ms = parseDuration(input, flag);
  if (ms <= 0) throw new SendtalkVerifyError('usage', `${flag} "${input}" is no time at all: a time-out must be longer than 0.`, { hint });
  return ms;
}

/** Node's timers overflow past 2^31-1 ms (about 24.8 days) and would fire at once. */
export const MAX_DURATION_MS = 20 * 24 * 3_600_000;

function checkMaximum(ms: number, flag: string, input: string): number {
  if (ms > MAX_DURATION_MS) {
    throw new SendtalkVerifyError('usage', `${flag} "${input}" is longer than the 20 days this tool can wait.`, { hint: 'Pass a shorter duration, e.g. 10m.' });
  }
  return ms;
}

/** Formats milliseconds the way people read them: `850 ms`, `2.1 s`, `4m 05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** Longest delay Node's timers take; past it they warn (TimeoutOverflowWarning) and fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `AbortSignal.timeout` for any delay: a delay above what one timer holds (24.8 days) is waited in
 * steps, so a far deadline never turns into an immediate one. The timers are unref'd, like
 * AbortSignal.timeout's, so they never keep the process alive by themselves.
 */
export function longTimeoutSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  const end = Date.now() + Math.max(0, ms);
  const step = (): void => {
    const left = end - Date.now();
    if (!(left > 0)) return controller.abort(new DOMException('The operation timed out.', 'TimeoutError'));
    setTimeout(step, Math.min(left, MAX_TIMER_MS)).unref();
  };
  if (!Number.isFinite(end)) return controller.signal; // no end: never fires
  step();
  return controller.signal;
}
