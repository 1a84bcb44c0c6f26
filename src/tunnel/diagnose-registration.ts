import { USER_AGENT } from '../version.js';
import { SendFailure, sendRequest } from '../http/client.js';
import { formatDuration } from '../duration.js';
import { SendtalkVerifyError } from '../errors.js';

/** Said when the server registered the tunnel but its connections could not be opened. */
export const UNREACHABLE_SERVER_HINT = 'A firewall may block outgoing connections to the tunnel server; use your own tunnel with --tunnel URL.';

/**
 * The error for a first opening that did not succeed within `timeoutMs`: registered without a
 * connection (`registeredUrl`), or not registered at all, with what the server says about it.
 */
export async function registrationTimeoutError(
  host: string,
  requested: string | undefined,
  timeoutMs: number,
  registeredUrl: string | undefined,
): Promise<SendtalkVerifyError> {
  const waited = formatDuration(timeoutMs);
  const hint =
    'Check SENDTALK_TUNNEL_HOST and your connection, allow more time with SENDTALK_TUNNEL_TIMEOUT, or run your own tunnel (ngrok, cloudflared) and pass its URL: --tunnel URL.';
  if (registeredUrl !== undefined) {
    return new SendtalkVerifyError('tunnel', `The tunnel registered ${registeredUrl} but no connection to the server opened within ${waited}.`, { hint });
  }
  // Bounded too, and in proportion: a short SENDTALK_TUNNEL_TIMEOUT should not be doubled by the diagnosis.
  const why = await diagnoseRegistration(host, requested, Math.min(3000, Math.max(500, timeoutMs / 4)));
  return new SendtalkVerifyError('tunnel', `Could not open a tunnel: ${host} did not register one within ${waited} (${why}).`, {
    hint,
    details: { tunnelHost: host },
  });
}

/**
 * localtunnel hides why a registration fails (it retries every second, silently). Once we have
 * given up, one bounded request to the same registration URL tells the user what the server says:
 * nothing (down, unreachable), an HTTP error with its message, or, rarely, success just too late.
 */
export async function diagnoseRegistration(host: string, subdomain: string | undefined, timeoutMs = 3000): Promise<string> {
  const url = `${host}/${subdomain ?? '?new'}`;
  try {
    const answer = await sendRequest(url, { timeoutMs, headers: { 'user-agent': USER_AGENT, accept: 'application/json' }, maxBodyBytes: 4096 });
    if (answer.status === 200) return 'it answers now, but did not in time';
    return `it answered HTTP ${answer.status}${serverMessage(answer.body)}`;
  } catch (error) {
    return error instanceof SendFailure ? error.message : 'it did not answer';
  }
}

/** The `message` a localtunnel server puts in its JSON errors, or the page title of an HTML one. */
function serverMessage(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const json = JSON.parse(text) as { message?: unknown };
    if (typeof json.message === 'string' && json.message !== '') return `: ${json.message.slice(0, 200)}`;
  } catch {
    const title = /<title>([^<]{1,80})<\/title>/i.exec(text)?.[1]?.trim();
    if (title) return ` ("${title}")`;
  }
  return '';
}
