import { describe, expect, it } from 'vitest';
import { DEFAULT_WAIT_MS, FAR_EXPIRY_MS, waitDeadline } from '../../src/flow/wait-deadline.js';
import { longTimeoutSignal, MAX_TIMER_MS } from '../../src/duration.js';
import type { Verification } from '../../src/client/parse-verification.js';

const started = Date.parse('2026-12-01T10:00:00.000Z');
const v = (expiresAt?: string): Verification => ({ id: 'v1', phone: '62812', link: 'https://wa.me/1', raw: {}, ...(expiresAt ? { expiresAt } : {}) });

describe('waitDeadline', () => {
  it('uses a plausible expiry', () => {
    expect(waitDeadline(started, v('2026-12-01T10:05:00.000Z'), {})).toEqual({ deadline: started + 5 * 60_000, until: 'expiry' });
  });

  it('sets aside an expiry in the past, and says so', () => {
    expect(waitDeadline(started, v('1969-01-01T00:00:00.000Z'), { timeoutMs: 1000 })).toEqual({
      deadline: started + 1000,
      until: 'timeout',
      ignoredExpiry: { expiresAt: '1969-01-01T00:00:00.000Z', why: 'past' },
    });
  });

  it('sets aside an expiry far away (30 days, or year 275760), falling back to the default wait', () => {
    const far = new Date(started + 30 * 24 * 3600_000).toISOString();
    expect(waitDeadline(started, v(far), {})).toEqual({ deadline: started + DEFAULT_WAIT_MS, until: 'timeout', ignoredExpiry: { expiresAt: far, why: 'far' } });
    expect(waitDeadline(started, v('+275760-09-13T00:00:00.000Z'), {})).toMatchObject({ until: 'timeout', ignoredExpiry: { why: 'far' } });
    expect(FAR_EXPIRY_MS).toBeLessThan(MAX_TIMER_MS);
  });
});

describe('longTimeoutSignal', () => {
  it('does not fire early for a delay over what one timer holds', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.name);
    };
    process.on('warning', onWarning);
    const signal = longTimeoutSignal(MAX_TIMER_MS + 10_000);
    const plain = AbortSignal.timeout(20);
    await new Promise((resolve) => plain.addEventListener('abort', resolve));
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(signal.aborted).toBe(false);
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it('fires for a short delay, and at once for a past one', async () => {
    const signal = longTimeoutSignal(5);
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
    expect(longTimeoutSignal(-1_796_111_593_144).aborted).toBe(true);
  });
});
