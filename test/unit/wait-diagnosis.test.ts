import { describe, expect, it } from 'vitest';
import type { DeliveryTally } from '../../src/webhook/delivery-tally.js';
import { describeTally, diagnoseWait } from '../../src/flow/wait-diagnosis.js';

const tally = (over: Partial<DeliveryTally> = {}): DeliveryTally => ({
  received: 0,
  matched: 0,
  otherVerification: 0,
  others: [],
  refused: 0,
  refusedBy: {},
  secretLocations: [],
  ...over,
});
const remote = { local: false };

describe('diagnoseWait', () => {
  it('names a wrong secret first, whatever else arrived', () => {
    const t = tally({
      received: 4,
      refused: 3,
      refusedBy: { 'secret-mismatch': 1, 'secret-missing': 1, 'not-found': 1 },
      otherVerification: 1,
      others: ['v-2'],
    });
    expect(diagnoseWait(t, remote)).toEqual({
      cause: '1 delivery arrived and was refused: secret key is invalid',
      hint: 'SENDTALK_WEBHOOK_SECRET (or --secret) must be the secret shown after the last save of Verification Config: each save makes a new one.',
    });
    expect(diagnoseWait(tally({ refused: 2, refusedBy: { 'secret-mismatch': 2 } }), remote).cause).toBe(
      '2 deliveries arrived and were refused: secret key is invalid',
    );
  });

  it('says where a missing secret came instead, when it was found elsewhere', () => {
    const t = tally({
      refused: 2,
      refusedBy: { 'secret-missing': 2, 'not-found': 1 },
      secretLocations: [
        { in: 'header', name: 'X-Token' },
        { in: 'query', name: 'k' },
      ],
    });
    expect(diagnoseWait(t, remote)).toEqual({
      cause: '2 deliveries arrived and were refused: secret key is missing; the secret came in X-Token: set SENDTALK_SECRET_HEADER=X-Token',
      hint: 'Or send the secret in X-Secret-Key, as SendTalk does.',
    });
  });

  it('names the headers a missing secret was looked for in', () => {
    const t = tally({ refused: 1, refusedBy: { 'secret-missing': 1 } });
    const hint = 'Is the secret enabled in Verification Config? A sender using another header needs SENDTALK_SECRET_HEADER.';
    expect(diagnoseWait(t, remote)).toEqual({
      cause: '1 delivery arrived and was refused: secret key is missing (no X-Secret-Key or Secret-Key header)',
      hint,
    });
    expect(diagnoseWait(t, { local: false, secretHeader: 'Authorization' })).toEqual({
      cause: '1 delivery arrived and was refused: secret key is missing (no Authorization header)',
      hint,
    });
  });

  it('points at the path when deliveries went elsewhere', () => {
    const t = tally({ refused: 3, refusedBy: { 'not-found': 3, 'too-large': 1 } });
    expect(diagnoseWait(t, remote)).toEqual({
      cause: '3 deliveries arrived and were refused: sent to another path',
      hint: 'The Webhook URL in Verification Config must end in /webhook (or set SENDTALK_WEBHOOK_PATH to its path).',
    });
    expect(diagnoseWait(t, { local: false, path: '/hooks/st' }).hint).toBe(
      'The Webhook URL in Verification Config must end in /hooks/st (or set SENDTALK_WEBHOOK_PATH to its path).',
    );
  });

  it('lists the other refusal reasons by label, each once, in their order', () => {
    const t = tally({ refused: 4, refusedBy: { 'too-large': 1, 'not-json': 1, 'unsupported-media-type': 1, 'too-deep': 1 } });
    expect(diagnoseWait(t, remote)).toEqual({
      cause: '4 deliveries arrived and were refused: too large, not JSON, nested too deeply',
      hint: '`listen` shows each delivery and why it was refused.',
    });
    expect(diagnoseWait(tally({ refused: 1, refusedBy: { 'method-not-allowed': 1 } }), remote).cause).toBe('1 delivery arrived and was refused: wrong method');
  });

  it('uses the reason itself when it has no label', () => {
    const t = tally({ refused: 1, refusedBy: { ['brand-new' as never]: 1 } });
    expect(diagnoseWait(t, remote).cause).toBe('1 delivery arrived and was refused: brand-new');
  });

  it('names deliveries for another verification before silence', () => {
    const t = tally({ received: 2, otherVerification: 2, others: ['v-2', 'phone 628111'], matched: 1 });
    expect(diagnoseWait(t, remote)).toEqual({
      cause: '2 deliveries arrived for another verification (v-2, phone 628111)',
      hint: "Send the message from this run's link, unchanged: a verification created elsewhere (another run, your app) has another id.",
    });
    expect(diagnoseWait(tally({ otherVerification: 1, others: ['v-3'] }), remote).cause).toBe('1 delivery arrived for another verification (v-3)');
  });

  it('says how many of those wanted arrived', () => {
    expect(diagnoseWait(tally({ matched: 1 }), { local: false, wanted: 3, moreTime: 'or raise --timeout' })).toEqual({
      cause: 'Only 1 of 3 deliveries arrived',
      hint: 'Each verification sends one webhook: send one message per verification waited for; or raise --timeout.',
    });
    expect(diagnoseWait(tally({ matched: 2 }), remote)).toEqual({
      cause: 'Only 2 of 1 delivery arrived',
      hint: 'Each verification sends one webhook: send one message per verification waited for.',
    });
  });

  it('tells a local listener that SendTalk cannot reach it', () => {
    expect(diagnoseWait(tally(), { local: true })).toEqual({
      cause: 'No delivery arrived',
      hint: 'The listener is local (--tunnel none): SendTalk cannot reach it; drop --tunnel none or pass the URL of your own tunnel to --tunnel.',
    });
    expect(diagnoseWait(tally(), { local: true, moreTime: '--timeout gives more time' }).hint).toBe(
      'The listener is local (--tunnel none): SendTalk cannot reach it; drop --tunnel none or pass the URL of your own tunnel to --tunnel; --timeout gives more time.',
    );
  });

  it('asks to check the webhook URL when nothing arrived at a public listener', () => {
    expect(diagnoseWait(tally(), remote)).toEqual({
      cause: 'No delivery arrived',
      hint: "Check that the Webhook URL in Verification Config is this listener's URL, and that the message was sent unchanged.",
    });
    expect(diagnoseWait(tally(), { local: false, webhookUrl: 'https://x.example/webhook', moreTime: '--expiry 10' }).hint).toBe(
      'Check that the Webhook URL in Verification Config is https://x.example/webhook, and that the message was sent unchanged; --expiry 10.',
    );
  });
});

describe('describeTally', () => {
  it('says only what was received when nothing else happened', () => {
    expect(describeTally(tally())).toBe('0 received');
    expect(describeTally(tally({ received: 1 }))).toBe('1 received');
  });

  it('lists matched, others and refusals by label', () => {
    expect(
      describeTally(tally({ received: 6, matched: 1, otherVerification: 2, refused: 3, refusedBy: { 'secret-mismatch': 2, 'acknowledge-failed': 1 } })),
    ).toBe('6 received; 1 matched; 2 for another verification; 3 refused: 2× secret key is invalid, 1× could not be recorded');
    expect(describeTally(tally({ received: 2, refused: 2, refusedBy: { ['odd' as never]: 1, 'too-many-headers': 1 } }))).toBe(
      '2 received; 2 refused: 1× odd, 1× too many headers',
    );
    expect(describeTally(tally({ received: 1, otherVerification: 1 }))).toBe('1 received; 1 for another verification');
  });

  it('labels every reason', () => {
    const refusedBy = {
      'secret-missing': 1,
      'not-found': 1,
      'not-object': 1,
      'unsupported-media-type': 1,
      'too-deep': 1,
      'method-not-allowed': 1,
      'not-json': 1,
      'too-large': 1,
    };
    expect(describeTally(tally({ received: 8, refused: 8, refusedBy }))).toBe(
      '8 received; 8 refused: 1× secret key is missing, 1× sent to another path, 1× not a JSON object, 1× not JSON, 1× nested too deeply, 1× wrong method, 1× not JSON, 1× too large',
    );
  });
});

describe('diagnoseWait in the sandbox', () => {
  it('never sends the user to the dashboard: refusals came from another sender, silence from SENDTALK_SANDBOX_DELAY', () => {
    for (const reason of ['secret-mismatch', 'secret-missing', 'not-found', 'not-json'] as const) {
      const d = diagnoseWait(tally({ received: 1, refused: 1, refusedBy: { [reason]: 1 } }), { local: false, sandbox: true });
      expect(`${d.cause} ${d.hint}`).not.toMatch(/Verification Config|dashboard/);
      expect(d.hint).toMatch(/emulator/);
    }
    const silent = diagnoseWait(tally(), { local: false, sandbox: true, moreTime: '--timeout waits longer' });
    expect(silent.hint).toMatch(/SENDTALK_SANDBOX_DELAY/);
    expect(silent.hint).not.toMatch(/Verification Config/);
  });

  it('names what was refused, each kind once, a kind without a label by its code', () => {
    const refusedBy = { 'not-json': 2, 'unsupported-media-type': 1, 'secret-mismatch': 1, 'made-up': 1 } as DeliveryTally['refusedBy'];
    const d = diagnoseWait(tally({ received: 5, refused: 5, refusedBy }), { local: false, sandbox: true });
    expect(d.cause).toBe('5 deliveries arrived and were refused: not JSON, secret key is invalid, made-up');
  });

  it('names the other verifications that deliveries were for, and says how to wait longer when nothing came', () => {
    const other = diagnoseWait(tally({ received: 2, otherVerification: 2, others: ['v-1', 'v-2'] }), { local: false, sandbox: true });
    expect(other.cause).toBe('2 deliveries arrived for another verification (v-1, v-2)');
    expect(other.hint).toMatch(/emulator/);
    const silent = diagnoseWait(tally(), { local: false, sandbox: true, moreTime: '--timeout waits longer' });
    expect(silent.cause).toBe('No delivery arrived');
    expect(silent.hint).toMatch(/shorter than the wait \(or --timeout waits longer\)\.$/);
    expect(diagnoseWait(tally(), { local: false, sandbox: true }).hint).toMatch(/shorter than the wait\.$/);
  });
});
