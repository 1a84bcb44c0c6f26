import { formatDuration } from '../duration.js';
import type { JsonObject } from '../fields.js';
import { USER_AGENT } from '../version.js';
import { malformedBody, oversizedBody, wrongSecretFor } from './event.js';
import type { Outcome } from './outcome.js';
import type { OutgoingRequest } from '../http/client.js';

export const CHECK_CASE_NAMES = ['valid', 'duplicate', 'no-secret', 'wrong-secret', 'malformed-json', 'wrong-method', 'oversized'] as const;
export type CheckCaseName = (typeof CHECK_CASE_NAMES)[number];

/** A body over the limits of the common web frameworks (1 MiB in Next.js, nginx; 100 KB in Express). */
export const DEFAULT_OVERSIZE_BYTES = 2 * 1024 * 1024;

/** One request a correct endpoint must answer in a known way. */
export interface CheckCase {
  name: CheckCaseName;
  /** What is sent, in a few words. */
  description: string;
  /** The expected answer as shown: `2xx`, `401/403`, `4xx`, `4xx/closed` (a 4xx, or the connection closed). */
  expected: string;
  request: OutgoingRequest;
  /** Grades the outcome; returns undefined when it passes, else why it fails and what to fix. */
  grade(outcome: Outcome): string | undefined;
}

export interface CaseInput {
  url: string;
  secret: string;
  secretHeader: string;
  /** The verified event, as sent by the valid case. */
  body: Buffer;
  /** The same event parsed, to build the oversized one. */
  event: JsonObject;
  oversizeBytes: number;
  timeoutMs: number;
}

const statusIn = (outcome: Outcome, min: number, max: number): boolean => outcome.status !== null && outcome.status >= min && outcome.status <= max;

/**
 * The cases, in the order they run. The valid event goes first and its duplicate right after,
 * as SendTalk's retry would come; the forgeries follow.
 */
export function buildCheckCases(input: CaseInput): CheckCase[] {
  const kit = caseKit(input);
  return [...genuineCases(input, kit), ...forgeryCases(input, kit), ...badRequestCases(input, kit)];
}

/** What every case is built from: the headers, a POST of a body, and the verdict on no answer at all. */
interface CaseKit {
  json: Record<string, string>;
  signed: Record<string, string>;
  post(headers: Record<string, string>, body: Buffer): OutgoingRequest;
  /** Why an outcome without an answer fails, or undefined when there was one. */
  noAnswer(o: Outcome): string | undefined;
  header: string;
}

function caseKit(input: CaseInput): CaseKit {
  const json = { 'content-type': 'application/json', 'user-agent': USER_AGENT };
  return {
    json,
    signed: { ...json, [input.secretHeader]: input.secret },
    post: (headers, body) => ({ url: input.url, method: 'POST', headers, body }),
    noAnswer: (o) => {
      if (o.failure === 'timeout')
        return `No answer within ${formatDuration(input.timeoutMs)}: SendTalk would give up too. Answer quickly, and do slow work after answering.`;
      if (o.failure !== null) return `No answer (${o.summary}): is the endpoint up, and is --url right?`;
      return undefined;
    },
    header: input.secretHeader,
  };
}

/** What SendTalk itself sends: the event, then its retry. */
function genuineCases(input: CaseInput, kit: CaseKit): CheckCase[] {
  const { signed, post, noAnswer, header } = kit;
  return [
    {
      name: 'valid',
      description: 'a verified event with the right secret',
      expected: '2xx',
      request: post(signed, input.body),
      grade: (o) => {
        if (statusIn(o, 200, 299)) return undefined;
        if (o.status === 401 || o.status === 403)
          return `The right secret was refused: is --secret the secret shown in Verification Config, and does the endpoint read it from the ${header} header?`;
        return noAnswer(o) ?? `A genuine verified event got ${o.summary}: SendTalk would count the delivery as failed and the user stays unverified.`;
      },
    },
    {
      name: 'duplicate',
      description: 'the same event again',
      expected: '2xx',
      request: post(signed, input.body),
      grade: (o) =>
        statusIn(o, 200, 299)
          ? undefined
          : (noAnswer(o) ?? `A repeated delivery got ${o.summary}: webhooks are retried, so a repeat must be acknowledged with 2xx (and otherwise ignored).`),
    },
  ];
}

/** Deliveries without the right secret. */
function forgeryCases(input: CaseInput, kit: CaseKit): CheckCase[] {
  const { json, post, noAnswer, header } = kit;
  return [
    {
      name: 'no-secret',
      description: `no ${header} header`,
      expected: '401/403',
      request: post(json, input.body),
      grade: (o) =>
        o.status === 401 || o.status === 403
          ? undefined
          : (noAnswer(o) ??
            (statusIn(o, 200, 299)
              ? `Accepted without a secret: anyone who finds the URL can mark numbers verified. Refuse a missing ${header} with 401.`
              : `Got ${o.summary}: refuse a missing ${header} with 401 (or 403), so the failure is clearly about the secret.`)),
    },
    {
      name: 'wrong-secret',
      description: `a wrong ${header} of the same length`,
      expected: '401/403',
      request: post({ ...json, [header]: wrongSecretFor(input.secret) }, input.body),
      grade: (o) =>
        o.status === 401 || o.status === 403
          ? undefined
          : (noAnswer(o) ??
            (statusIn(o, 200, 299)
              ? `Accepted a wrong secret: the secret is not checked, or not in full. Compare the whole value, in constant time, and answer 401.`
              : `Got ${o.summary}: refuse a wrong ${header} with 401 (or 403).`)),
    },
  ];
}

/** Requests no webhook sends: a broken body, another method, a huge body. */
function badRequestCases(input: CaseInput, kit: CaseKit): CheckCase[] {
  const { signed, post, noAnswer } = kit;
  return [
    {
      name: 'malformed-json',
      description: 'a body that is not JSON, with the right secret',
      expected: '4xx',
      request: post(signed, malformedBody(input.body)),
      grade: (o) =>
        statusIn(o, 400, 499)
          ? undefined
          : (noAnswer(o) ??
            (statusIn(o, 500, 599)
              ? `A body that is not JSON got ${o.summary}: the endpoint fails on bad input. Parse defensively and answer 400.`
              : `A body that is not JSON got ${o.summary}: it should be refused with 400, not processed.`)),
    },
    {
      name: 'wrong-method',
      description: 'a GET with the right secret',
      expected: '4xx',
      request: { url: input.url, method: 'GET', headers: { 'user-agent': USER_AGENT, [kit.header]: input.secret } },
      grade: (o) =>
        statusIn(o, 400, 499) ? undefined : (noAnswer(o) ?? `A GET got ${o.summary}: SendTalk delivers with POST only; answer anything else with 405.`),
    },
    {
      name: 'oversized',
      description: `a ${formatBytes(input.oversizeBytes)} event with the right secret`,
      expected: '4xx/closed',
      request: post(signed, oversizedBody(input.event, input.oversizeBytes)),
      grade: (o) => {
        if (statusIn(o, 400, 499)) return undefined;
        // Closing the connection is how many servers refuse a big upload. Their 413 is often lost
        // on the way: closing a socket with unread bytes makes the kernel send a reset, and the
        // reset can overtake the answer. Either way the body was refused.
        if (o.failure === 'reset') return undefined;
        return (
          noAnswer(o) ??
          `A ${formatBytes(input.oversizeBytes)} body got ${o.summary}: a verified event is a few hundred bytes; limit the body size and answer 413.`
        );
      },
    },
  ];
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
