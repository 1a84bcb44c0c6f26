import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/duration.js';

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['250ms', 250],
    ['45', 45_000],
    ['1.5', 1500],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(['', 'soon', '5x', '1m foo', '-1s', 's'])('refuses %j with the flag name', (text) => {
    expect(() => parseDuration(text, '--timeout')).toThrow(/--timeout/);
  });
  it('formats for people', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(2100)).toBe('2.1 s');
    expect(formatDuration(245_000)).toBe('4m 05s');
  });
});

describe('duration bounds', () => {
  it('refuses what Node timers cannot wait', () => {
    expect(() => parseDuration('600h', '--timeout')).toThrow(/longer than the 20 days/);
    expect(() => parseDuration('99999999', '--timeout')).toThrow(/longer than the 20 days/);
    expect(parseDuration('480h')).toBe(480 * 3_600_000);
  });
});
