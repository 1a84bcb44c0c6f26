/**
 * loca.lt's reminder page: localtunnel's public server answers a request that looks like it comes
 * from a browser (its User-Agent) with a 401 HTML page of its own instead of passing it on, unless
 * the request carries a `bypass-tunnel-reminder` header (localtunnel/localtunnel #598, #366). A
 * webhook sender whose User-Agent looks like a browser's is refused that way without a word
 * (#376), and SendTalk does not publish its webhook User-Agent: so the page is named wherever it
 * shows, and a delivery that came through with a browser-like User-Agent is pointed out.
 */

/** What reports call it. */
export const REMINDER_PAGE = "loca.lt's reminder page";

/**
 * Headers that skip the interstitial pages tunnels show to browsers: localtunnel's reminder page,
 * and ngrok's free-plan warning. Any value will do; SendTalk's own calls are not browsers.
 */
export const REMINDER_BYPASS_HEADERS: Readonly<Record<string, string>> = {
  'bypass-tunnel-reminder': '1',
  'ngrok-skip-browser-warning': '1',
};

/**
 * True for an answer that is the tunnel server's reminder page rather than the listener's: a 401
 * web page that speaks of localtunnel or of the header that skips it. The listener never answers
 * with HTML, so such a page cannot be its refusal.
 */
export function isReminderPage(status: number, body: Buffer | string): boolean {
  if (status !== 401) return false;
  const text = (typeof body === 'string' ? body : body.toString('utf8')).slice(0, 64 * 1024);
  return /<html|<!doctype html/i.test(text) && /bypass-tunnel-reminder|localtunnel|loca\.lt|friendly reminder/i.test(text);
}

/**
 * Whether a User-Agent looks like a browser's to a tunnel server: every mainstream browser (and
 * much software that imitates one) starts it with `Mozilla/`; old Opera used `Opera/`.
 */
export function looksLikeBrowser(userAgent: string | undefined): boolean {
  return userAgent !== undefined && /^\s*(?:Mozilla|Opera)\/\d/i.test(userAgent);
}
