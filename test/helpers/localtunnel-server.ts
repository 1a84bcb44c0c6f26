import { randomBytes } from 'node:crypto';
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { until } from './until.js';

/**
 * How registrations are answered: `normal`; `refuse` (HTTP 503, which the localtunnel client
 * retries forever); `hang` (never answered).
 */
export type RegistrationMode = 'normal' | 'refuse' | 'hang';

/**
 * How a stale client's public side answers while its tunnel connections stay open, as loca.lt's
 * idle sockets do (localtunnel #563, server #203): 408, 503, or no answer at all.
 */
export type StaleAnswer = 408 | 503 | 'nothing';

/**
 * loca.lt's reminder page: `browsers` shows it (401, HTML) to requests with a browser-like
 * User-Agent and no `bypass-tunnel-reminder` header, as loca.lt does; `always` to every request
 * (a server that ignores the header); `off` never.
 */
export type ReminderMode = 'off' | 'browsers' | 'always';

/** Our own stand-in for the page: what matters is a 401 HTML page that is not the listener's. */
export const REMINDER_HTML =
  '<!DOCTYPE html><html><head><title>Reminder (test)</title></head><body><p>This localtunnel page is shown to browsers. Senders that are not browsers add the bypass-tunnel-reminder header.</p></body></html>';

interface TunnelClient {
  id: string;
  tcp: TcpServer;
  port: number;
  /** Connected client sockets not handed to the agent yet. */
  idle: Socket[];
  /** All connected client sockets. */
  sockets: Set<Socket>;
  /** Connections the client has opened so far, closed ones included. */
  opened: number;
  /** Requests waiting for a socket. */
  waiting: Array<(socket: Socket) => void>;
  agent: Agent;
  graceTimer?: NodeJS.Timeout;
  /** Set by goStale(): public requests get this instead of going down the connections. */
  stale?: StaleAnswer;
  /** Public requests held without an answer (stale `nothing`), ended when the client is forgotten. */
  held: Set<ServerResponse>;
}

/**
 * A localtunnel-protocol server on loopback, as a test helper: `GET /?new` or `GET /<name>`
 * registers a client and answers `{id, port, max_conn_count, url}`; the client opens TCP
 * connections to `port`; requests whose Host is `<id>.localhost[:port]` are sent down those
 * connections. Like the real server, a taken name is silently replaced by a random one, and a
 * client that has had no connection for a moment is forgotten.
 */
export class LocaltunnelServer {
  mode: RegistrationMode = 'normal';
  reminder: ReminderMode = 'off';
  /** Public requests answered with the reminder page so far. */
  reminderPages = 0;
  /** Accept each client connection and close it at once (a broken or hostile server). */
  closeOnConnect = false;
  /** Client connections accepted so far, over every client (forgotten ones included). */
  totalConnections = 0;
  /** Public requests handed to one of a client's tunnel sockets so far. */
  handedOver = 0;
  /**
   * Every registration request seen, in order: path as requested, id given (if any), and how many
   * connections the client already holding that name still had open (0: it had closed them all).
   */
  readonly registrations: Array<{ path: string; id?: string; heldOpen?: number }> = [];
  private readonly clients = new Map<string, TunnelClient>();
  private server?: Server;
  private portNumber: number;
  private readonly maxConn: number;
  private readonly graceMs: number;
  private readonly proxyTimeoutMs: number;

  /** `proxyTimeoutMs`: how long a public request waits for an answer through the tunnel before a 504. */
  constructor(options: { port?: number; maxConnCount?: number; graceMs?: number; proxyTimeoutMs?: number } = {}) {
    this.portNumber = options.port ?? 0;
    this.maxConn = options.maxConnCount ?? 3;
    this.graceMs = options.graceMs ?? 1000;
    this.proxyTimeoutMs = options.proxyTimeoutMs ?? 10_000;
  }

  get port(): number {
    return this.portNumber;
  }

  /** What a user sets SENDTALK_TUNNEL_HOST to. */
  get url(): string {
    return `http://localhost:${this.portNumber}`;
  }

  get clientIds(): string[] {
    return [...this.clients.keys()];
  }

  /** Connections a client has open to this server. */
  connections(id: string): number {
    return this.clients.get(id)?.sockets.size ?? 0;
  }

  /** Connections a client has opened to this server so far, closed ones included. */
  connectionsOpened(id: string): number {
    return this.clients.get(id)?.opened ?? 0;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.portNumber, '127.0.0.1', () => resolve());
    });
    this.portNumber = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops like a crash: every client and connection is gone at once. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const id of [...this.clients.keys()]) this.forget(id);
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** A server restart on the same port: clients must register again. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** The server drops one client (as after a network blip): its port closes, its connections end. */
  dropClient(id: string): void {
    this.forget(id);
  }

  /**
   * The client's tunnel goes stale: its connections stay open (the client sees nothing wrong),
   * but public requests get `answer`. A new registration, even under the same name, is fresh.
   */
  goStale(id: string, answer: StaleAnswer): void {
    const client = this.clients.get(id);
    if (!client) throw new Error(`no client '${id}' to make stale`);
    client.stale = answer;
  }

  /** Waits until `predicate` holds, polling; throws after `timeoutMs` with `what` in the message. */
  async until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    await until(predicate, `${what} (localtunnel test server)`, { timeoutMs });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const host = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
    const sub = /^([a-z0-9-]+)\.localhost$/.exec(host)?.[1];
    if (sub) return this.proxy(sub, req, res);
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/' && url.searchParams.has('new')) return this.register(req, res, undefined);
    const name = /^\/([^/]+)$/.exec(url.pathname)?.[1];
    if (req.method === 'GET' && name && name !== 'api') return this.register(req, res, name);
    json(res, 404, { message: 'not found' });
  }

  private register(req: IncomingMessage, res: ServerResponse, name: string | undefined): void {
    const entry: { path: string; id?: string; heldOpen?: number } = { path: req.url ?? '/' };
    if (name !== undefined && this.clients.has(name)) entry.heldOpen = this.clients.get(name)!.sockets.size;
    this.registrations.push(entry);
    if (this.mode === 'hang') return; // the answer never comes; stop() cuts the connection
    if (this.mode === 'refuse') return json(res, 503, { message: 'tunnel server is refusing new clients (test)' });
    if (name !== undefined && !/^(?:[a-z0-9][a-z0-9-]{4,63}[a-z0-9]|[a-z0-9]{4,63})$/.test(name)) {
      return json(res, 403, { message: 'Invalid subdomain. Subdomains must be lowercase and between 4 and 63 alphanumeric characters.' });
    }
    // A taken name is replaced by a random one without saying so, as the real server does.
    const id = name !== undefined && !this.clients.has(name) ? name : `t${randomBytes(5).toString('hex')}`;
    entry.id = id;
    this.openClient(id).then(
      (client) => {
        json(res, 200, { id, port: client.port, max_conn_count: this.maxConn, url: `http://${id}.localhost:${this.portNumber}` });
      },
      (error: Error) => json(res, 500, { message: error.message }),
    );
  }

  private async openClient(id: string): Promise<TunnelClient> {
    const tcp = createTcpServer();
    const client: TunnelClient = {
      id,
      tcp,
      port: 0,
      idle: [],
      sockets: new Set(),
      opened: 0,
      waiting: [],
      agent: new PoolAgent(() => undefined),
      held: new Set(),
    };
    client.agent = new PoolAgent((give) => {
      const socket = client.idle.shift();
      if (socket) give(handOut(socket));
      else client.waiting.push(give);
    });
    tcp.on('connection', (socket) => {
      this.totalConnections++;
      if (this.closeOnConnect) return socket.destroy();
      if (client.sockets.size >= this.maxConn) return socket.destroy();
      clearTimeout(client.graceTimer);
      client.sockets.add(socket);
      client.opened++;
      socket.on('error', () => {});
      socket.once('close', () => {
        client.sockets.delete(socket);
        client.idle = client.idle.filter((s) => s !== socket);
        if (client.sockets.size === 0 && this.clients.get(id) === client) {
          client.graceTimer = setTimeout(() => this.forget(id), this.graceMs);
        }
      });
      const waiter = client.waiting.shift();
      if (waiter) waiter(socket);
      else client.idle.push(watchIdle(socket));
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
    client.port = (tcp.address() as AddressInfo).port;
    // A client that never connects is forgotten too.
    client.graceTimer = setTimeout(() => this.forget(id), 5000);
    this.clients.set(id, client);
    return client;
  }

  private forget(id: string): void {
    const client = this.clients.get(id);
    if (!client) return;
    this.clients.delete(id);
    clearTimeout(client.graceTimer);
    client.tcp.close();
    for (const socket of client.sockets) socket.destroy();
    for (const res of client.held) res.destroy();
    client.agent.destroy();
  }

  private proxy(id: string, req: IncomingMessage, res: ServerResponse): void {
    const client = this.clients.get(id);
    if (!client) return json(res, 404, { message: `no active client for '${id}'` });
    const browser = /^(?:Mozilla|Opera)\//.test(req.headers['user-agent'] ?? '') && req.headers['bypass-tunnel-reminder'] === undefined;
    if (this.reminder === 'always' || (this.reminder === 'browsers' && browser)) {
      this.reminderPages++;
      req.resume();
      res.writeHead(401, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(REMINDER_HTML) });
      return void res.end(REMINDER_HTML);
    }
    if (client.stale !== undefined) return staleAnswer(client, req, res);
    const upstream = request({ agent: client.agent, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      clearTimeout(timer);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    // No answer through the tunnel in time: answer as the real server does, with a gateway error.
    const timer = setTimeout(() => upstream.destroy(new Error('no answer through the tunnel')), this.proxyTimeoutMs);
    upstream.on('error', (error) => {
      clearTimeout(timer);
      if (!res.headersSent) json(res, 504, { message: `tunnel connection failed: ${(error as Error).message}` });
      else res.destroy();
    });
    // Counted once the request has a tunnel socket: from then on it is inside the tunnel.
    upstream.once('socket', () => {
      this.handedOver++;
    });
    req.pipe(upstream);
  }
}

/**
 * An idle tunnel socket nobody reads would never notice its client closing it (the end of a
 * stream is seen only by reading): read it while it waits, as a real server's socket pool does,
 * so that a client that closed its connections is forgotten a moment later.
 */
function watchIdle(socket: Socket): Socket {
  const onReadable = (): void => {
    // Nothing is expected from an idle client connection; its end is what matters.
    while (socket.read() !== null);
  };
  socket.on('readable', onReadable);
  socket.once('end', () => socket.destroy());
  (socket as Socket & { stopWatching?: () => void }).stopWatching = () => socket.removeListener('readable', onReadable);
  return socket;
}

/** Hands an idle socket to the agent: no longer read here. */
function handOut(socket: Socket): Socket {
  (socket as Socket & { stopWatching?: () => void }).stopWatching?.();
  return socket;
}

/** What a stale tunnel's public side does with a request: its status, or nothing until the client is forgotten. */
function staleAnswer(client: TunnelClient, req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  if (client.stale === 'nothing') {
    client.held.add(res);
    res.once('close', () => client.held.delete(res));
    return;
  }
  json(res, client.stale!, { message: `stale tunnel (test): ${client.stale}` });
}

/** An HTTP agent whose connections are the tunnel client's sockets, as the real server does it. */
class PoolAgent extends Agent {
  constructor(private readonly take: (give: (socket: Socket) => void) => void) {
    super({ keepAlive: true, maxSockets: 64 });
  }

  override createConnection(_options: unknown, callback?: (error: Error | null, socket: Socket) => void): Socket {
    this.take((socket) => callback?.(null, socket));
    // Returning nothing tells the agent the socket comes through the callback.
    return undefined as unknown as Socket;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Sends a request to a public tunnel URL (`http://<id>.localhost:<port>/…`) over loopback. */
export function sendThrough(
  publicUrl: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; body: string }> {
  const url = new URL(publicUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: init.method ?? 'POST',
        headers: { host: url.host, ...init.headers },
        agent: false,
      },
      (res) => {
        let text = '';
        res
          .setEncoding('utf8')
          .on('data', (c: string) => {
            text += c;
          })
          .on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
