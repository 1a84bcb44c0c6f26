import { USER_AGENT } from '../version.js';
import { SendFailure, sendRequest } from '../http/send-request.js';

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
