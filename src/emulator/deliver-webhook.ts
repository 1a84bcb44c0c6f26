import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface WebhookAttempt {
  attempt: number;
  at: string;
  /** HTTP status of the answer, when one came. */
  status?: number;
  /** Why no answer came (connection refused, timeout…). */
  error?: string;
  ms: number;
}

export interface WebhookTarget {
  url: string;
  secret?: string;
  secretHeader: string;
}

/** Sends one webhook POST. Never throws: the outcome is data, so retries and reports stay simple. */
export function postWebhook(target: WebhookTarget, body: string, timeoutMs: number, attempt: number): Promise<WebhookAttempt> {
  const started = Date.now();
  const at = new Date(started).toISOString();
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(target.url);
    } catch {
      return resolve({ attempt, at, error: `invalid webhook URL ${target.url}`, ms: 0 });
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'user-agent': 'SendTalk-Emulator (sendtalk-verify)',
    };
    if (target.secret !== undefined) headers[target.secretHeader] = target.secret;
    const req = send(url, { method: 'POST', headers, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ attempt, at, status: res.statusCode, ms: Date.now() - started }));
      res.on('error', (error) => resolve({ attempt, at, error: error.message, ms: Date.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ attempt, at, error: error.code ?? error.message, ms: Date.now() - started }));
    req.end(body);
  });
}
