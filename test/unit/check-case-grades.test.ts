import { describe, expect, it } from 'vitest';
import { buildCheckCases, formatBytes, type CheckCase, type CheckCaseName } from '../../src/trigger/check-cases.js';
import type { Outcome } from '../../src/trigger/outcome.js';

// How `trigger --check` grades each answer, case by case: the boundaries of each expected range,
// what no answer at all means, and the advice each wrong answer gets.

const SECRET = 'whsec_grades_0123456789';
const event = { verificationID: 'v-1', userPhone: '6281234567890', status: 'verified' };
const cases = buildCheckCases({
  url: 'http://127.0.0.1:9/webhook',
  secret: SECRET,
  secretHeader: 'X-Secret-Key',
  body: Buffer.from(JSON.stringify(event)),
  event,
  oversizeBytes: 2 * 1024 * 1024,
  timeoutMs: 5000,
});
const byName = (name: CheckCaseName): CheckCase => cases.find((c) => c.name === name)!;

function answered(status: number): Outcome {
  return { status, failure: null, summary: `${status} Status`, ms: 1, bodyStart: '', requestBytes: 0, requestSent: true } as Outcome;
}
function unanswered(failure: Outcome['failure'], summary: string): Outcome {
  return { status: null, failure, summary, ms: 1, bodyStart: '', requestBytes: 0, requestSent: false } as Outcome;
}
const passes = (name: CheckCaseName, ...statuses: number[]): void => {
  for (const status of statuses) expect(byName(name).grade(answered(status)), `${name} ${status}`).toBeUndefined();
};
const fails = (name: CheckCaseName, status: number, advice: RegExp): void => {
  expect(byName(name).grade(answered(status)), `${name} ${status}`).toMatch(advice);
};

describe('trigger --check grades', () => {
  it('runs the cases in order: the genuine event and its retry, the forgeries, the bad requests', () => {
    expect(cases.map((c) => [c.name, c.expected])).toEqual([
      ['valid', '2xx'],
      ['duplicate', '2xx'],
      ['no-secret', '401/403'],
      ['wrong-secret', '401/403'],
      ['malformed-json', '4xx'],
      ['wrong-method', '4xx'],
      ['oversized', '4xx/closed'],
    ]);
    expect(byName('no-secret').description).toBe('no X-Secret-Key header');
    expect(byName('oversized').description).toBe('a 2 MiB event with the right secret');
  });

  it('sends the secret only where the case says, as JSON, with POST but for the GET', () => {
    for (const c of cases) {
      const headers = c.request.headers as Record<string, string>;
      expect(c.request.method, c.name).toBe(c.name === 'wrong-method' ? 'GET' : 'POST');
      expect(headers['user-agent'], c.name).toMatch(/^sendtalk-verify\//);
      if (c.name !== 'wrong-method') expect(headers['content-type'], c.name).toBe('application/json');
      const sent = headers['X-Secret-Key'];
      if (c.name === 'no-secret') expect(sent).toBeUndefined();
      else if (c.name === 'wrong-secret') expect(sent).not.toBe(SECRET);
      else expect(sent, c.name).toBe(SECRET);
    }
    expect(byName('wrong-method').request.body).toBeUndefined();
  });

  it('valid and duplicate: any 2xx passes; a refusal of the right secret, another status or no answer fails', () => {
    passes('valid', 200, 204, 299);
    passes('duplicate', 200, 299);
    fails('valid', 199, /A genuine verified event got 199 Status: SendTalk would count the delivery as failed/);
    fails('valid', 300, /A genuine verified event got 300/);
    fails('valid', 401, /The right secret was refused: is --secret .* from the X-Secret-Key header\?/);
    fails('valid', 403, /The right secret was refused/);
    fails('duplicate', 409, /A repeated delivery got 409 Status: webhooks are retried/);
    fails('duplicate', 199, /A repeated delivery got 199/);
    expect(byName('valid').grade(unanswered('timeout', 'no answer'))).toBe(
      'No answer within 5.0 s: SendTalk would give up too. Answer quickly, and do slow work after answering.',
    );
    expect(byName('duplicate').grade(unanswered('refused', 'connection refused'))).toBe(
      'No answer (connection refused): is the endpoint up, and is --url right?',
    );
  });

  it('no-secret and wrong-secret: only 401 or 403 passes; an acceptance is the worst failure', () => {
    passes('no-secret', 401, 403);
    passes('wrong-secret', 401, 403);
    fails('no-secret', 200, /^Accepted without a secret: anyone who finds the URL can mark numbers verified\. Refuse a missing X-Secret-Key with 401\.$/);
    fails('no-secret', 299, /^Accepted without a secret/);
    fails('no-secret', 400, /^Got 400 Status: refuse a missing X-Secret-Key with 401 \(or 403\)/);
    fails('no-secret', 300, /^Got 300 Status/);
    fails('wrong-secret', 204, /^Accepted a wrong secret: the secret is not checked, or not in full\./);
    fails('wrong-secret', 404, /^Got 404 Status: refuse a wrong X-Secret-Key with 401 \(or 403\)\.$/);
    expect(byName('wrong-secret').grade(unanswered('reset', 'connection reset'))).toMatch(/^No answer \(connection reset\)/);
  });

  it('malformed JSON, the GET and the oversized body: any 4xx passes; the oversized one may also be cut', () => {
    passes('malformed-json', 400, 422, 499);
    passes('wrong-method', 400, 405, 499);
    passes('oversized', 400, 413, 499);
    fails('malformed-json', 500, /the endpoint fails on bad input\. Parse defensively and answer 400\./);
    fails('malformed-json', 599, /fails on bad input/);
    fails('malformed-json', 200, /A body that is not JSON got 200 Status: it should be refused with 400, not processed\./);
    fails('malformed-json', 399, /should be refused with 400/);
    fails('malformed-json', 600, /should be refused with 400/);
    fails('wrong-method', 200, /^A GET got 200 Status: SendTalk delivers with POST only; answer anything else with 405\.$/);
    fails('wrong-method', 500, /^A GET got 500/);
    fails('oversized', 200, /^A 2 MiB body got 200 Status: a verified event is a few hundred bytes; limit the body size and answer 413\.$/);
    expect(byName('oversized').grade(unanswered('reset', 'connection reset'))).toBeUndefined();
    expect(byName('oversized').grade(unanswered('timeout', 'no answer'))).toMatch(/^No answer within 5\.0 s/);
  });
});

describe('formatBytes', () => {
  it('says MiB or KiB only for whole ones', () => {
    expect(formatBytes(2 * 1024 * 1024)).toBe('2 MiB');
    expect(formatBytes(1024 * 1024)).toBe('1 MiB');
    expect(formatBytes(1024 * 1024 + 1024)).toBe('1025 KiB');
    expect(formatBytes(1024 * 1024 - 1)).toBe('1048575 bytes');
    expect(formatBytes(2048)).toBe('2 KiB');
    expect(formatBytes(1024)).toBe('1 KiB');
    expect(formatBytes(1023)).toBe('1023 bytes');
    expect(formatBytes(1536)).toBe('1536 bytes');
  });
});
