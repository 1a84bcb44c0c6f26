/** The tunnel: a public URL for the local webhook listener, kept open across server drops. */
export { openTunnel, reopenDelayMs } from './open-tunnel.js';
export { exposeListener, tracksAnswers } from './expose-listener.js';
export type { ExposedListener, ExposeHooks, TunnelChoice, TunnelUpdate, PublicUrl, PublicUrlProvider } from './expose-listener.js';
export { probePublicUrl, newProbeToken } from './probe.js';
export { REMINDER_BYPASS_HEADERS, REMINDER_PAGE, isReminderPage, looksLikeBrowser } from './reminder-page.js';
export { WATCHDOG_INTERVAL_MS } from './watchdog.js';
export type { WatchdogOptions } from './watchdog.js';
export type { ProbeResult } from './probe.js';
export { checkSubdomain, normaliseTunnelHost, tunnelTargetHost } from './tunnel-config.js';
export { DEFAULT_TUNNEL_HOST } from './types.js';
export type {
  TunnelOptions,
  TunnelHandle,
  TunnelEvent,
  TunnelState,
  TunnelConnector,
  TunnelSession,
  SessionRequest,
  SessionListener,
} from './types.js';
