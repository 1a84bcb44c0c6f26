import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { serversStoppedAfterEach } from '../helpers/cleanup.js';
import { runCli } from '../helpers/cli.js';
import { killAll, startListen } from '../helpers/listen-process.js';
import { LoopbackServer } from '../helpers/loopback-server.js';
import { LocaltunnelServer } from '../helpers/localtunnel-server.js';
import { checkRegistrationAnswer, MAX_TUNNEL_CONNECTIONS } from '../../src/tunnel/registration-answer.js';

/** A "localtunnel server" that answers every registration with the same JSON, whatever it is. */
class HostileRegistrar extends LoopbackServer {
  registrations = 0;
  constructor(private readonly answer: unknown) {
    super();
  }
  get url(): string {
    return this.origin;
  }
  async start(): Promise<this> {
    await this.listen((_req: IncomingMessage, res: ServerResponse) => {
      this.registrations++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(this.answer));
    });
    return this;
  }
}

const started = serversStoppedAfterEach();
afterEach(async () => {
  await killAll();
});

describe('a tunnel server whose registration answer cannot be used', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'no port',
      { id: 'abc', url: 'https://abc.example.test', max_conn_count: 10, message: 'welcome' },
      /answered the registration with no usable port \(missing; 1–65535 expected\); it said: welcome\./,
    ],
    ['port 0', { id: 'abc', port: 0, url: 'https://abc.example.test' }, /no usable port \(0; 1–65535 expected\)/],
    ['port 70000', { id: 'abc', port: 70_000, url: 'https://abc.example.test' }, /no usable port \(70000/],
    ['no url', { id: 'abc', port: 4000 }, /no usable public URL \(missing; an http\(s\) URL expected\)/],
    ['a javascript: url', { id: 'abc', port: 4000, url: 'javascript:alert(1)' }, /no usable public URL \("javascript:alert\(1\)"/],
    ['no id', { port: 4000, url: 'https://abc.example.test' }, /no usable tunnel id \(missing\)/],
  ];
  for (const [name, answer, message] of cases) {
    it(`exits 6 with the reason for ${name}, never blaming --tunnel URL`, async () => {
      const server = await started(new HostileRegistrar(answer));
      const r = await runCli(['listen'], { env: { SENDTALK_TUNNEL_TIMEOUT: '5s', SENDTALK_TUNNEL_HOST: server.url }, killAfterMs: 15_000 });
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/Unexpected error|--tunnel \S* is not/i);
      expect(server.registrations).toBe(1);
    });
  }

  it('clamps a huge max_conn_count: the tunnel opens with at most the sane number of connections', async () => {
    const server = new LocaltunnelServer({ maxConnCount: 10_000_000 });
    await started(server);
    const r = await runCli(['listen', '--max-events', '1', '--timeout', '1500ms', '--json'], {
      env: { SENDTALK_TUNNEL_HOST: server.url },
      killAfterMs: 15_000,
    });
    expect(r.code, r.stderr).toBe(3); // no delivery came: a time-out, in bounded time, not a runaway socket loop
    expect(JSON.parse(r.stdout.split('\n')[0]!)).toMatchObject({ type: 'ready' });
    const [id] = server.registrations.map((reg) => reg.id).filter(Boolean);
    // Counted with the ones replaced after a request (the probe's): a pool of 10, not ten million.
    expect(server.connectionsOpened(id!)).toBeLessThanOrEqual(2 * MAX_TUNNEL_CONNECTIONS);
    expect(server.connectionsOpened(id!)).toBeGreaterThan(0);
  });
});

describe('checkRegistrationAnswer', () => {
  it('keeps a good answer and clamps the pool', () => {
    expect(checkRegistrationAnswer({ id: 'a1', port: 1, url: 'http://a1.x', max_conn_count: 1e9, ip: '127.0.0.1', cached_url: 'ftp://no' })).toEqual({
      id: 'a1',
      port: 1,
      url: 'http://a1.x',
      max_conn_count: MAX_TUNNEL_CONNECTIONS,
      ip: '127.0.0.1',
    });
    expect(checkRegistrationAnswer({ id: 'a1', port: 65_535, url: 'https://a1.x' })).toMatchObject({ max_conn_count: 1 });
    expect(checkRegistrationAnswer({ id: 'a1', port: 443, url: 'https://a1.x', max_conn_count: -5 })).toMatchObject({ max_conn_count: 1 });
  });

  it('refuses an ip that is not an address, and odd ids', () => {
    expect(checkRegistrationAnswer({ id: 'a1', port: 80, url: 'https://a1.x', ip: 'evil.example' })).toHaveProperty('problem');
    expect(checkRegistrationAnswer({ id: '\u001b[2J', port: 80, url: 'https://a1.x' })).toHaveProperty('problem');
    expect(checkRegistrationAnswer({ id: 'a1', port: 1.5, url: 'https://a1.x' })).toHaveProperty('problem');
  });
});

describe('a tunnel server that accepts connections and closes them at once', () => {
  it('is reported as a drop and retried with backoff, not a reconnect loop', async () => {
    const server = new LocaltunnelServer({ maxConnCount: 10 });
    server.closeOnConnect = true;
    await started(server);
    const listen = startListen(['--json'], { env: { SENDTALK_TUNNEL_TIMEOUT: '5s', SENDTALK_TUNNEL_HOST: server.url } });
    await listen.line('ready');
    const down = await listen.line('tunnel-down', 2);
    expect(down).toMatchObject({ reason: 'the tunnel server closes every connection as soon as it opens' });
    expect(down.retryInMs).toBeGreaterThan(0);
    listen.child.kill('SIGINT');
    await listen.done;
    // Two drops of at most CHURN_LIMIT (40) connections and a pool each: a bounded count, not thousands a second.
    expect(server.totalConnections).toBeLessThan(200);
  });
});
