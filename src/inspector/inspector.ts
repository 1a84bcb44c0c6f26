import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CreateFlowEvent, CreateResult } from '../flow/create-flow.js';
import type { ListenFlowEvent, ListenResult } from '../flow/listen-flow.js';
import { listen, makeRoomAtTheCap, sendText } from '../http/server.js';
import { redactor } from '../mask.js';
import { escapeControls } from '../render/escape-controls.js';
import { qrSvg } from '../render/qr-image.js';
import { qrMatrix } from '../render/qr-matrix.js';
import { EventStreams, sseFrame } from './event-streams.js';
import { LAUNCH_QUERY, writeLaunchFile, type LaunchFile } from './launch-file.js';
import { PAGE_CSS, PAGE_HTML, PAGE_ICON, PAGE_JS } from './page-assets.js';
import { applyEvent, applyResult, type PageDelivery, type PageState } from './page-state.js';

export interface InspectorOptions {
  /** Which flow feeds it: `create` shows the QR code and the verification, `listen` only deliveries. */
  mode: 'create' | 'listen';
  /** Port on 127.0.0.1; 0 picks a free one. Never the listener's: nothing of the page goes through a tunnel. @default 0 */
  port?: number;
  /** Values that must never reach the page (API key, webhook secret): masked wherever they appear. */
  secrets?: ReadonlyArray<string | undefined>;
  /**
   * Deliveries kept for a page opened (or reloaded) later, and shown by a page at most: the older
   * ones are counted, not kept, so that a long run costs neither the process nor the browser. @default 200
   */
  keepDeliveries?: number;
  /** Pages connected at once; more are answered 429. @default 16 */
  maxPages?: number;
}

export interface InspectorHandle {
  /** The page's address, token included: `http://127.0.0.1:PORT/TOKEN/`. Anything without the token is 403. */
  readonly url: string;
  readonly port: number;
  /** Passes one event of `runCreateFlow` or `runListenFlow` to the page. */
  feed(event: CreateFlowEvent | ListenFlowEvent): void;
  /**
   * Shows how the flow ended (verified, timed out, …) and tells the page to stop listening.
   * `cleanStop`: the listen was stopped as it is meant to be (SIGTERM on one that runs until
   * stopped, exit 0), so the page says it stopped rather than that it was interrupted.
   */
  end(result: CreateResult | ListenResult, how?: { cleanStop?: boolean }): void;
  /** Shows that the command failed, with one sentence why, and tells the page to stop listening. */
  fail(message: string): void;
  /**
   * The path of a file that leads a browser to the page: for a launcher whose arguments other
   * local users can read (`ps`), where the URL's token must not appear. Only this user can read
   * the file; it is deleted once a browser followed it, or when the page closes.
   */
  launchFile(): Promise<string>;
  /** Ends the page's connections and frees the port. Safe to call twice. */
  close(): Promise<void>;
}

/** What every answer carries: nothing may load from elsewhere, be framed, or leak the token in a Referer. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-store',
};

const FILES: Record<string, { type: string; body: string }> = {
  '': { type: 'text/html; charset=utf-8', body: PAGE_HTML },
  'app.js': { type: 'text/javascript; charset=utf-8', body: PAGE_JS },
  'style.css': { type: 'text/css; charset=utf-8', body: PAGE_CSS },
  'icon.svg': { type: 'image/svg+xml', body: PAGE_ICON },
};

/** A comment line every so often keeps proxies and the browser from giving up on a quiet stream. */
const HEARTBEAT_MS = 20_000;

/**
 * The page's server is for a tab or two on this machine, and anyone on it can connect without the
 * token: so it gets its own small connection cap (the listener's mechanism: idle connections make
 * room, the event streams stay) and short time-outs, far below the process's file descriptors, so
 * that a flood of connections to the page never costs the listener a delivery. A connection that
 * sends no request is closed at `headersTimeoutMs`, checked every `checkIntervalMs`.
 */
const PAGE_SERVER_LIMITS = {
  maxConnections: 64,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
};

/**
 * Starts the local page that shows a flow live: the QR code, the link, the countdown and every
 * delivery, pushed with Server-Sent Events. It listens on its own loopback port, answers only
 * requests whose path starts with an unguessable token and whose Host is this address, and sends
 * nothing that the flow was not asked to show, with the given secrets masked.
 */
export async function startInspector(options: InspectorOptions): Promise<InspectorHandle> {
  const token = randomBytes(24).toString('base64url');
  const run: InspectorRun = {
    state: { mode: options.mode, status: 'starting', accepted: 0, refused: 0, ended: false },
    deliveries: [],
    keep: options.keepDeliveries ?? 200,
    streams: new EventStreams(options.maxPages ?? 16),
    qr: undefined,
    port: 0,
    tokenBytes: Buffer.from(token),
    launch: undefined,
  };
  const server = createServer(
    {
      headersTimeout: PAGE_SERVER_LIMITS.headersTimeoutMs,
      requestTimeout: PAGE_SERVER_LIMITS.requestTimeoutMs,
      keepAliveTimeout: PAGE_SERVER_LIMITS.keepAliveTimeoutMs,
      connectionsCheckingInterval: PAGE_SERVER_LIMITS.checkIntervalMs,
    },
    (req, res) => serveInspectorRequest(run, req, res),
  );
  makeRoomAtTheCap(server, PAGE_SERVER_LIMITS.maxConnections);
  await listen(server, options.port ?? 0, '127.0.0.1', 'the local page');
  run.port = (server.address() as AddressInfo).port;
  return inspectorHandle(run, server, `http://127.0.0.1:${run.port}/${token}/`, pageText(options.secrets ?? []));
}

function inspectorHandle(run: InspectorRun, server: Server, url: string, clean: (text: string) => string): InspectorHandle {
  const { state, deliveries, streams } = run;
  const pushState = (): void => streams.send(sseFrame('state', stateNow(state)));
  const heartbeat = setInterval(() => streams.send(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  let closing: Promise<void> | undefined;
  return {
    url,
    port: run.port,
    feed(event) {
      const delivery = applyEvent(state, event, clean);
      if (event.type === 'created') {
        const { id, link } = state.verification!;
        const qr = { id, svg: qrMatrix(event.verification.link).then((matrix) => qrSvg(matrix, { size: 296, title: link })) };
        qr.svg.catch(() => {});
        run.qr = qr;
      }
      if (delivery) {
        deliveries.push(delivery);
        if (deliveries.length > run.keep) deliveries.shift();
        streams.send(sseFrame('delivery', delivery));
      }
      pushState();
    },
    end(result, how) {
      applyResult(state, result, how?.cleanStop);
      // The note may quote the webhook's own status: a peer's text, masked like every other.
      if (state.note !== undefined) state.note = clean(state.note);
      pushState();
    },
    fail(message) {
      state.ended = true;
      state.deadline = undefined;
      state.status = 'failed';
      state.note = clean(message);
      pushState();
    },
    async launchFile() {
      run.launch ??= await writeLaunchFile(url);
      return run.launch.path;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        run.launch?.remove();
        streams.endAll();
        server.close(() => resolve());
        // The pages' connections go idle once their streams end; a browser that keeps one
        // busy anyway is cut after a moment rather than holding the command open.
        setImmediate(() => server.closeIdleConnections());
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
      return closing;
    },
  };
}

/**
 * What every text the page shows passes through: the secrets masked, and control characters made
 * visible by the terminal's own rule, so the page and the terminal show a peer's text the same way.
 */
function pageText(secrets: ReadonlyArray<string | undefined>): (text: string) => string {
  const mask = redactor(secrets);
  return (text) => escapeControls(mask(text));
}

/** What one inspector's requests share: the page state, the deliveries shown, the open streams. */
interface InspectorRun {
  readonly state: PageState;
  /** The most recent deliveries, `keep` at most, oldest first. */
  readonly deliveries: PageDelivery[];
  readonly keep: number;
  /** The event streams of the open pages. */
  readonly streams: EventStreams;
  /** The QR code of the current verification, drawn once. */
  qr: { id: string; svg: Promise<string> } | undefined;
  /** Known once bound: requests must name it in their Host. */
  port: number;
  readonly tokenBytes: Buffer;
  /** The file that led a browser here, while it exists. */
  launch: LaunchFile | undefined;
}

function serveInspectorRequest(run: InspectorRun, req: IncomingMessage, res: ServerResponse): void {
  const route = routeOf(req, run.port, run.tokenBytes);
  if (route === undefined) return answer(res, 403, 'text/plain; charset=utf-8', 'Forbidden: open the URL the command printed, token included.\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'text/plain; charset=utf-8', 'Method not allowed.\n', { allow: 'GET, HEAD' });
  const file = FILES[route];
  // The launch file was followed: it has done its job, and holds the token.
  if (route === '' && new URLSearchParams((req.url ?? '').split('?')[1]).has(LAUNCH_QUERY)) run.launch?.remove();
  if (file) return answer(res, 200, file.type, file.body);
  if (route === 'qr.svg') {
    const qr = run.qr;
    if (!qr) return answer(res, 404, 'text/plain; charset=utf-8', 'No verification yet.\n');
    qr.svg.then(
      (svg) => answer(res, 200, 'image/svg+xml', svg),
      () => answer(res, 500, 'text/plain; charset=utf-8', 'Could not draw the QR code.\n'),
    );
    return;
  }
  if (route === 'events') return openEventStream(run, res);
  return answer(res, 404, 'text/plain; charset=utf-8', 'Not found.\n');
}

/**
 * A page's Server-Sent Events stream: a snapshot (the state and the deliveries kept, sent whole on
 * every connection, so a page that reconnects replaces what it missed and shows nothing twice),
 * then each change as it happens.
 */
function openEventStream(run: InspectorRun, res: ServerResponse): void {
  const snapshot = sseFrame('snapshot', { state: stateNow(run.state), deliveries: run.deliveries, keep: run.keep });
  const headers = { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' };
  if (!run.streams.start(res, headers, snapshot)) answer(res, 429, 'text/plain; charset=utf-8', 'Too many pages open.\n');
}

function stateNow(state: PageState): PageState {
  return { ...state, now: Date.now() };
}

/**
 * The file a request asks for, or undefined when it must be refused: a Host other than this
 * address (a page of another site reaching 127.0.0.1 through DNS rebinding), or a path that does
 * not start with the token (compared in constant time).
 */
function routeOf(req: IncomingMessage, port: number, token: Buffer): string | undefined {
  const host = req.headers.host ?? '';
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return undefined;
  const path = (req.url ?? '/').split('?')[0]!;
  const match = /^\/([A-Za-z0-9_-]+)\/([a-z.]*)$/.exec(path);
  if (!match) return undefined;
  const given = Buffer.from(match[1]!);
  if (given.length !== token.length || !timingSafeEqual(given, token)) return undefined;
  return match[2]!;
}

/** An answer with the page's security headers (a HEAD request gets the headers only: Node drops the body). */
function answer(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  sendText(res, status, body, type, { ...SECURITY_HEADERS, ...extra });
}
