import { randomBytes } from 'node:crypto';
import { SendFailure, sendRequest } from '../http/client.js';
import { USER_AGENT } from '../version.js';
import { PROBE_HEADER } from '../webhook/listener.js';
import { isReminderPage, REMINDER_BYPASS_HEADERS, REMINDER_PAGE } from './reminder-page.js';

export { REMINDER_BYPASS_HEADERS };

/** `reminderPage`: the tunnel server answered with loca.lt's reminder page (see reminder-page.ts). */
export type ProbeResult = { ok: true; ms: number } | { ok: false; ms: number; reason: string; status?: number; reminderPage?: true };

/** A fresh token for `ListenerOptions.probeToken`. */
export function newProbeToken(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Sends one request to the public webhook URL and checks that it came back from *this* listener
 * (which echoes the per-run token), proving the path SendTalk will use works end to end.
 */
export async function probePublicUrl(webhookUrl: string, token: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ProbeResult> {
  const started = Date.now();
  try {
    const answer = await sendRequest(webhookUrl, {
      timeoutMs: options.timeoutMs ?? 10_000,
      signal: options.signal,
      headers: { ...REMINDER_BYPASS_HEADERS, [PROBE_HEADER]: token, 'user-agent': USER_AGENT, accept: 'application/json' },
      maxBodyBytes: 8192,
    });
    if (answer.status === 200 && echoedToken(answer.body) === token) return { ok: true, ms: answer.ms };
    if (isReminderPage(answer.status, answer.body)) {
      // The probe carries the header that should skip it: the server showed it anyway.
      return {
        ok: false,
        ms: answer.ms,
        status: 401,
        reminderPage: true,
        reason: `HTTP 401 with ${REMINDER_PAGE}, not this listener (the tunnel server did not pass the request on)`,
      };
    }
    return { ok: false, ms: answer.ms, status: answer.status, reason: unexpectedAnswer(answer.status, answer.body) };
  } catch (error) {
    const reason = error instanceof SendFailure ? error.message : (error as Error).message;
    return { ok: false, ms: Date.now() - started, reason };
  }
}

function echoedToken(body: Buffer): string | undefined {
  try {
    const json = JSON.parse(body.toString('utf8')) as { probe?: unknown };
    return typeof json.probe === 'string' ? json.probe : undefined;
  } catch {
    return undefined;
  }
}

function unexpectedAnswer(status: number, body: Buffer): string {
  const text = body.toString('utf8');
  if (/<html/i.test(text)) {
    const title = /<title>([^<]{1,80})<\/title>/i.exec(text)?.[1]?.trim();
    return `HTTP ${status} with a web page${title ? ` ("${title}")` : ''}, not this listener`;
  }
  if (status === 200) return 'HTTP 200 from something other than this listener';
  if (status === 404) return 'HTTP 404: the URL does not lead to this listener (check the path)';
  // loca.lt's idle tunnel sockets go stale and answer 408 while the tunnel still looks up.
  if (status === 408) return 'HTTP 408 from the tunnel: its connections went stale';
  if (status === 502 || status === 503 || status === 504) return `HTTP ${status} from the tunnel: it has no connection to this listener`;
  return `HTTP ${status}, not this listener's answer`;
}
