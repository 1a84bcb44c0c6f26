import { describe, expect, it } from 'vitest';
import { applyResult, type PageState } from '../../src/inspector/page-state.js';
import type { CreateResult, ListenResult } from '../../src/index.js';

const fresh = (): PageState => ({ status: 'waiting', accepted: 0, refused: 0, ended: false } as PageState);
const tally = { received: 2, matched: 0, otherVerification: 0, others: [], refused: 2, refusedBy: { 'secret-mismatch': 2 }, secretLocations: [] };

describe('how the page tells the end', () => {
  it('quotes the webhook’s own status when it said not verified', () => {
    const state = fresh();
    applyResult(state, { status: 'not-verified', eventStatus: 'failed' } as unknown as CreateResult);
    expect(state).toMatchObject({ status: 'not-verified', ended: true, note: 'The webhook\'s own status was "failed".' });
  });

  it('leads with the likeliest cause when the wait ran out, as the terminal does', () => {
    const state = fresh();
    applyResult(state, { status: 'timeout', deliveries: tally, diagnosis: { cause: '2 deliveries arrived and were refused: secret key is invalid', hint: 'Fix the secret.' } } as unknown as CreateResult);
    expect(state).toMatchObject({ status: 'timeout', note: '2 deliveries arrived and were refused: secret key is invalid. Fix the secret.' });
  });

  it('adds the cause to listen’s counts', () => {
    const state = fresh();
    applyResult(state, { reason: 'timeout', accepted: 0, refused: 2, deliveries: tally, diagnosis: { cause: 'C', hint: 'H' } } as unknown as ListenResult);
    expect(state.note).toBe('0 accepted, 2 refused (timed out). C. H');
  });
});
