import { SendtalkVerifyError } from '../errors.js';
import { READ_LIMITS, readRegularFile } from '../safe-file.js';
import { USER_AGENT } from '../version.js';
import { withArticle } from '../render/text.js';
import { parseLogLine, type DeliveryLogRecord } from '../webhook/delivery-log.js';
import { is2xx, sendForOutcome, type Outcome } from './outcome.js';
import { resolveTarget, type TriggerTarget } from './target.js';

/** The deliveries of a `listen --log` file worth replaying, and those that are not. */
export interface DeliveryLog {
  records: DeliveryLogRecord[];
  /** Delivery records that cannot be replayed, and why (`line`: the line of a record with no usable `seq`). */
  skipped: Array<{ seq: number; reason: string; line?: number }>;
  /** Lines that are not delivery records: blank, another type, or torn by a crash mid-write. */
  ignoredLines: number;
}

/** Reads a `listen --log` file (a regular file of at most `READ_LIMITS.replayLog`). Anything else is a usage error. */
export async function readDeliveryLog(path: string): Promise<DeliveryLog> {
  const bytes = await readRegularFile(
    path,
    {
      flag: '--replay',
      noun: 'the log file',
      hint: 'Record deliveries with: sendtalk-verify listen --log deliveries.ndjson',
    },
    READ_LIMITS.replayLog,
  );
  return parseDeliveryLog(bytes.toString('utf8'));
}

export function parseDeliveryLog(text: string): DeliveryLog {
  const log: DeliveryLog = { records: [], skipped: [], ignoredLines: 0 };
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    const record = parseLogLine(line);
    const problem = record && recordProblem(record);
    if (!record) log.ignoredLines += 1;
    // A record written by hand or by another tool: say what is wrong with it rather than crash on it.
    else if (problem) {
      const seq = record.seq;
      log.skipped.push(typeof seq === 'number' && Number.isFinite(seq) ? { seq, reason: problem } : { seq: 0, line: n + 1, reason: problem });
    }
    // SendTalk only ever POSTs; a GET in the log is someone's browser or a scanner.
    else if (record.method.toUpperCase() !== 'POST') log.skipped.push({ seq: record.seq, reason: `${withArticle(record.method)}, not a delivery` });
    // The listener refuses a bad secret before reading the body, so such records carry none.
    else if (record.bodyBase64 === '') log.skipped.push({ seq: record.seq, reason: `no body recorded (refused ${record.status} before it was read)` });
    else log.records.push(record);
  }
  return log;
}

/** Why a `delivery` record cannot be replayed as it is, or undefined when it can. */
function recordProblem(record: DeliveryLogRecord): string | undefined {
  const r = record as unknown as Record<string, unknown>;
  if (typeof r.method !== 'string') return 'not a usable record: its method is not a string';
  if (typeof r.receivedAt !== 'string') return 'not a usable record: no receivedAt time';
  if (typeof r.headers !== 'object' || r.headers === null || Array.isArray(r.headers)) return 'not a usable record: no headers object';
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(record.bodyBase64)) return 'not a usable record: its body is not base64';
  return undefined;
}

export interface ReplayOptions extends TriggerTarget {
  log: DeliveryLog;
  onDelivery?: (result: ReplayResult) => void;
}

export interface ReplayResult {
  seq: number;
  receivedAt: string;
  verificationId: string | null;
  bytes: number;
  got: Outcome;
  verdict: 'pass' | 'fail';
}

export interface ReplayReport {
  url: string;
  secretHeader: string;
  secretSent: boolean;
  passed: boolean;
  summary: { replayed: number; passed: number; failed: number; skipped: number };
  deliveries: ReplayResult[];
  skipped: DeliveryLog['skipped'];
  ignoredLines: number;
}

/**
 * Sends each recorded delivery again, in order, to the given URL: the body byte for byte, its
 * content type, and the secret header set from the given secret (the log holds none). A
 * delivery passes when the endpoint answers 2xx.
 */
export async function replayDeliveries(options: ReplayOptions): Promise<ReplayReport> {
  const target = resolveTarget(options);
  if (options.log.records.length === 0) {
    throw new SendtalkVerifyError(
      'usage',
      `The log has no delivery to replay (${options.log.skipped.length} skipped, ${options.log.ignoredLines} other lines).`,
      {
        hint: 'Record deliveries with: sendtalk-verify listen --log deliveries.ndjson',
      },
    );
  }
  const deliveries: ReplayResult[] = [];
  for (const record of options.log.records) {
    const body = Buffer.from(record.bodyBase64, 'base64');
    const headers: Record<string, string> = {
      'content-type': stringOr(record.headers['content-type'], 'application/json'),
      'user-agent': stringOr(record.headers['user-agent'], USER_AGENT),
    };
    if (target.secret) headers[target.secretHeader] = target.secret;
    const got = await sendForOutcome(target, { url: target.url, method: 'POST', headers, body }, [target.secret]);
    const result: ReplayResult = {
      seq: record.seq,
      receivedAt: record.receivedAt,
      verificationId: record.verificationId,
      bytes: body.length,
      got,
      verdict: is2xx(got.status) ? 'pass' : 'fail',
    };
    deliveries.push(result);
    options.onDelivery?.(result);
  }
  const passed = deliveries.filter((d) => d.verdict === 'pass').length;
  return {
    url: target.url,
    secretHeader: target.secretHeader,
    secretSent: Boolean(target.secret),
    passed: passed === deliveries.length,
    summary: { replayed: deliveries.length, passed, failed: deliveries.length - passed, skipped: options.log.skipped.length },
    deliveries,
    skipped: options.log.skipped,
    ignoredLines: options.log.ignoredLines,
  };
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}
