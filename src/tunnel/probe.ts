import { randomBytes } from 'node:crypto';
import { SendFailure, sendRequest } from '../http/send-request.js';
import { USER_AGENT } from '../version.js';
import { PROBE_HEADER } from '../webhook/listener.js';

/**
 * Headers that skip the interstitial pages tunnels show to browsers: localtunnel's "friendly
 * reminder" page answers anything that looks like a browser without this header, and ngrok's
 * free plan does the same. SendTalk's own calls are not browsers, so they are not affected.
 */
export const REMINDER_BYPASS_HEADERS: Readonly<Record<string, string>> = {
  'bypass-tunnel-reminder': 'sendtalk-verify',
  'ngrok-skip-browser-warning': 'sendtalk-verify',
};

export type ProbeResult =
  | { ok: true; ms: number }
  | { ok: false; ms: number; reason: string; status?: number };

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
  if (status === 502 || status === 503 || status === 504) return `HTTP ${status} from the tunnel: it has no connection to this listener`;
  return `HTTP ${status}, not this listener's answer`;
}
