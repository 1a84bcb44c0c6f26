import { SendtalkVerifyError } from '../errors.js';
import { buildCheckCases, DEFAULT_OVERSIZE_BYTES, type CheckCaseName } from './check-cases.js';
import { builtInEvent, parseObject, type VerifiedEvent } from './event.js';
import { sendForOutcome, type Outcome } from './outcome.js';
import { REMINDER_PAGE } from '../tunnel/reminder-page.js';
import { resolveTarget, type TriggerTarget } from './target.js';

export interface CheckOptions extends TriggerTarget {
  /** Required: the secret cases are the point of a check. */
  secret: string;
  /** The event the valid cases send. @default the built-in verified event */
  event?: VerifiedEvent;
  /** Size of the oversized case's body. @default 2 MiB */
  oversizeBytes?: number;
  /** Hears each case as soon as it is graded (for progress lines). */
  onCase?: (result: CaseResult) => void;
}

export interface CaseResult {
  name: CheckCaseName;
  description: string;
  expected: string;
  got: Outcome;
  verdict: 'pass' | 'fail';
  /** Why it failed and what to fix; null when it passed. */
  advice: string | null;
}

export interface CheckReport {
  url: string;
  secretHeader: string;
  passed: boolean;
  summary: { passed: number; failed: number; total: number };
  cases: CaseResult[];
}

/** Why a case answered by loca.lt's reminder page fails, and what to do. */
export const REMINDER_PAGE_ADVICE = `${REMINDER_PAGE} answered (HTTP 401), not the endpoint: the tunnel server did not pass the request on, so this says nothing of how the endpoint treats it. loca.lt shows the page to senders it takes for browsers unless they send a bypass-tunnel-reminder header, and SendTalk's deliveries may get it too: check the endpoint at its local URL, or expose it through another tunnel (cloudflared, ngrok).`;

/**
 * Grades a webhook endpoint: sends each case in turn (never in parallel, so the duplicate really
 * follows the original) and collects verdicts. Endpoint failures are verdicts; only bad input
 * and an interruption throw.
 */
export async function checkEndpoint(options: CheckOptions): Promise<CheckReport> {
  const target = resolveTarget(options);
  if (!options.secret) {
    throw new SendtalkVerifyError('usage', 'A check needs the webhook secret: half of its cases are about it.', {
      hint: 'Pass --secret (or set SENDTALK_WEBHOOK_SECRET) to the secret shown in Verification Config.',
    });
  }
  const event = options.event ?? builtInEvent();
  const parsed = parseObject(event.body);
  if (!parsed) {
    throw new SendtalkVerifyError('usage', 'The payload is not a JSON object, so the check cannot build its cases from it.', {
      hint: 'Pass a --payload file holding one JSON object, or omit --payload to use the built-in event.',
    });
  }
  const cases = buildCheckCases({
    url: target.url,
    secret: options.secret,
    secretHeader: target.secretHeader,
    body: event.body,
    event: parsed,
    oversizeBytes: options.oversizeBytes ?? DEFAULT_OVERSIZE_BYTES,
    timeoutMs: target.requestTimeoutMs,
  });
  const secrets = [options.secret, ...cases.map((c) => c.request.headers[target.secretHeader])];
  const results: CaseResult[] = [];
  for (const c of cases) {
    const got = await sendForOutcome(target, c.request, secrets);
    // The tunnel server's page is no answer of the endpoint's: its 401 is not a refusal of a
    // missing secret, nor is it a refusal of the right one. No case can be graded on it.
    const advice = got.reminderPage ? REMINDER_PAGE_ADVICE : c.grade(got);
    const result: CaseResult = {
      name: c.name,
      description: c.description,
      expected: c.expected,
      got,
      verdict: advice === undefined ? 'pass' : 'fail',
      advice: advice ?? null,
    };
    results.push(result);
    options.onCase?.(result);
  }
  const passed = results.filter((r) => r.verdict === 'pass').length;
  return {
    url: target.url,
    secretHeader: target.secretHeader,
    passed: passed === results.length,
    summary: { passed, failed: results.length - passed, total: results.length },
    cases: results,
  };
}
