import { SendtalkVerifyError } from '../errors.js';

/**
 * The one URL check: an absolute http(s) URL, or undefined. Every URL this tool is given or sent
 * (a flag, the environment, a library option, a link in SendTalk's answer, a tunnel server's
 * answer) goes through it; what differs between them is only how a refusal is worded
 * (`checkHttpUrl`) and, for text from a peer, a length bound.
 */
export function httpUrl(text: unknown, options: { maxLength?: number } = {}): URL | undefined {
  if (typeof text !== 'string' || (options.maxLength !== undefined && text.length > options.maxLength)) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  // The WHATWG parser gives http(s) URLs a host always: `http://` alone does not parse.
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
}

/**
 * `httpUrl` for a URL the user gave: a usage error when it is not one. `label` names it in the
 * error (`API URL`, `--tunnel`…) and `hint` says how to write it, so each flag keeps its own advice.
 */
export function checkHttpUrl(text: string, label: string, hint: string): URL {
  const url = httpUrl(text);
  if (!url) throw new SendtalkVerifyError('usage', `${label} "${text}" is not an http(s) URL.`, { hint });
  return url;
}

/** `host:port` of a URL for messages; the text itself when it is not a URL. */
export function hostOf(url: string): string {
  return httpUrl(url)?.host ?? url;
}
