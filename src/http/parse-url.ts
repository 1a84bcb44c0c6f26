import { SendtalkVerifyError } from '../errors.js';

/**
 * Parses a URL the user gave, accepting only absolute http(s) URLs. `label` names it in the error
 * (`API URL`, `--tunnel`…) and `hint` says how to write it, so each flag keeps its own advice.
 */
export function parseHttpUrl(text: string, label: string, hint: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new SendtalkVerifyError('usage', `${label} "${text}" is not an http(s) URL.`, { hint });
  }
  return url;
}

/** `host:port` of a URL for messages; the text itself when it is not a URL. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
