import { existsSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCreateFlow } from '../../src/flow/create-flow.js';
import { startInspector, type InspectorHandle } from '../../src/inspector/inspector.js';
import type { Delivery } from '../../src/webhook/listener.js';
import { freePort, isListening } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

const SECRET = 'whsec_PAGE_SECRET_never_shown_5521';
const KEY = 'st_live_PAGE_KEY_never_shown_9034';
let page: InspectorHandle | undefined;
afterEach(async () => {
  await page?.close();
  page = undefined;
});

function get(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res
        .setEncoding('utf8')
        .on('data', (chunk: string) => {
          body += chunk;
        })
        .on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject).end();
  });
}

/** Reads the event stream until `until` matches what came, then disconnects. */
function readEvents(url: string, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}events`, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
        if (until.test(text)) {
          req.destroy();
          resolve(text);
        }
      });
    });
    req.on('error', (error) => (error.message === 'socket hang up' ? undefined : reject(error))).end();
  });
}

function delivery(over: Partial<Delivery>): Delivery {
  return {
    seq: 1,
    receivedAt: new Date().toISOString(),
    method: 'POST',
    path: '/webhook',
    accepted: false,
    status: 401,
    reason: 'secret-mismatch',
    detail: 'secret key is invalid',
    headers: { 'content-type': 'application/json', 'x-secret-key': '[redacted]' },
    body: Buffer.from('{}'),
    ...over,
  } as Delivery;
}

describe('startInspector', () => {
  it('serves its page only with the token and this Host, with a CSP that allows nothing from elsewhere', async () => {
    page = await startInspector({ mode: 'listen' });
    expect(page.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{32}\/$/);
    const ok = await get(page.url);
    expect(ok.status).toBe(200);
    expect(ok.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(ok.headers['referrer-policy']).toBe('no-referrer');
    expect(ok.body).toContain('<script src="app.js" defer></script>');
    expect(ok.body).not.toMatch(/<script>|<style|\sstyle=|\son[a-z]+=|https?:\/\//);
    expect((await get(`${page.url}app.js`)).headers['content-type']).toMatch(/^text\/javascript/);

    const origin = page.url.replace(/\/[^/]+\/$/, '');
    const token = page.url.split('/')[3]!;
    for (const url of [
      `${origin}/`,
      `${origin}/favicon.ico`,
      `${origin}/${token.slice(0, -1)}x/`,
      `${origin}/${token}`,
      `${origin}/${token.slice(1)}/app.js`,
    ]) {
      const refused = await get(url);
      expect(refused.status, url).toBe(403);
      expect(refused.body).not.toContain(token);
    }
    // A page of another site that made its name resolve to 127.0.0.1 (DNS rebinding) has another Host.
    expect((await get(page.url, { host: `evil.example:${page.port}` })).status).toBe(403);
    expect((await get(page.url, { host: `localhost:${page.port}` })).status).toBe(200);
    expect((await get(page.url, {}, 'POST')).status).toBe(405);
    expect((await get(`${page.url}nothing.js`)).status).toBe(404);
  });

  it('pushes the state and every delivery, with secrets masked wherever they are', async () => {
    page = await startInspector({ mode: 'listen', secrets: [SECRET, KEY] });
    page.feed({ type: 'ready', localUrl: 'http://127.0.0.1:1/webhook', webhookUrl: 'https://x.example/webhook', public: true });
    page.feed({ type: 'waiting' });
    page.feed({
      type: 'delivery',
      delivery: delivery({ body: Buffer.from(JSON.stringify({ leaked: SECRET, key: KEY })), headers: { 'x-api-key': KEY, 'x-echo': SECRET } }),
    });
    // A page that connects gets one snapshot: the state and the deliveries kept.
    const text = await readEvents(page.url, /event: snapshot\n.*\n\n/);
    expect(text).toMatch(/event: snapshot\ndata: \{"state":\{[^\n]*"status":"listening"/);
    expect(text).toContain('"verdict":"refused: secret wrong"');
    expect(text).toContain('"detail":"secret key is invalid"');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(KEY);
    expect(text).toContain('••••5521');
  });

  it('shows control characters as the terminal does, in bodies and in every other text', async () => {
    page = await startInspector({ mode: 'listen', secrets: [SECRET] });
    page.feed({
      type: 'delivery',
      delivery: delivery({ reason: 'not-json', status: 400, detail: 'bad \u001b[2J', body: Buffer.from(`x\u001b]0;t\u0007 ${SECRET}\r`) }),
    });
    const text = await readEvents(page.url, /event: snapshot\n.*\n\n/);
    expect(text).toContain(JSON.stringify(`x\\x1b]0;t\\x07 ••••5521\\r`).slice(1, -1));
    expect(text).toContain(JSON.stringify('bad \\x1b[2J').slice(1, -1));
    expect(text).not.toMatch(/\\u00(0|1)[0-9a-f]/);
  });

  it('serves the QR code as SVG once the verification exists, and closes twice without complaint', async () => {
    page = await startInspector({ mode: 'create' });
    expect((await get(`${page.url}qr.svg`)).status).toBe(404);
    const link = 'https://wa.me/6281100000000?text=Hi';
    page.feed({ type: 'created', verification: { id: 'v1', phone: '6281234567890', link, raw: {} } });
    const svg = await get(`${page.url}qr.svg?id=v1`);
    expect(svg.status).toBe(200);
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.body).toContain(`<title>${link}</title>`);
    page.end({ status: 'verified', verification: { id: 'v1', phone: '6281234567890', link, raw: {} }, createdAt: '', elapsedMs: 1, sandbox: true });
    expect(await readEvents(page.url, /"ended":true/)).toMatch(/"status":"verified"/);
    const port = page.port;
    await page.close();
    await page.close();
    expect(await isListening(port)).toBe(false);
  });

  // The page is not part of the library: the CLI feeds it a flow's events, as here.
  it('shows a sandbox create flow fed by its events: the delivery, the QR code and the verified state; only its own path answers', async () => {
    page = await startInspector({ mode: 'create' });
    const shown = page;
    const result = await runCreateFlow({ phone: '6281234567890', sandbox: true, sandboxDelayMs: 0, onEvent: (event) => shown.feed(event) });
    page.end(result);
    const events = await readEvents(page.url, /"ended":true/);
    expect(events).toMatch(/"status":"verified"/);
    expect(events).toMatch(/"deliveries":\[\{"seq":1,/);
    const svg = await get(`${page.url}qr.svg`);
    expect(svg.status).toBe(200);
    expect(svg.body.startsWith('<svg')).toBe(true);
    expect((await get(page.url.replace(/[^/]+\/$/, ''))).status).toBe(403);
  });

  it('keeps the most recent 200 deliveries for a page that connects later, and counts them all', async () => {
    page = await startInspector({ mode: 'listen' });
    for (let seq = 1; seq <= 250; seq++) page.feed({ type: 'delivery', delivery: delivery({ seq }) });
    const text = await readEvents(page.url, /event: snapshot\n.*\n\n/);
    const snapshot = JSON.parse(/event: snapshot\ndata: (.*)\n/.exec(text)![1]!) as {
      state: { refused: number };
      deliveries: Array<{ seq: number }>;
      keep: number;
    };
    expect(snapshot.keep).toBe(200);
    expect(snapshot.deliveries.map((d) => d.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 51));
    expect(snapshot.state.refused).toBe(250);
  });

  it('leads a browser to the page through a file only this user can read, deleted once followed', async () => {
    page = await startInspector({ mode: 'listen' });
    const token = page.url.split('/')[3]!;
    const path = await page.launchFile();
    expect(path).not.toContain(token);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    const target = /http-equiv="refresh" content="0;url=([^"]+)"/.exec(readFileSync(path, 'utf8'))![1]!;
    expect(target).toBe(`${page.url}?launch`);
    expect(await page.launchFile()).toBe(path);
    // Opening the page without the file's mark (a tab open from before) leaves it for the browser.
    expect((await get(page.url)).status).toBe(200);
    expect(existsSync(path)).toBe(true);
    expect((await get(target)).status).toBe(200);
    expect(existsSync(dirname(path))).toBe(false);
  });

  it('deletes a launch file nobody followed when the page closes', async () => {
    page = await startInspector({ mode: 'listen' });
    const path = await page.launchFile();
    await page.close();
    expect(existsSync(dirname(path))).toBe(false);
  });
});

describe('the page server, request by request', () => {
  /** Opens an event stream and keeps it open; resolves with its status and content type once its head came. */
  function openStream(url: string): Promise<{ status: number; type: string | undefined; body: () => string }> {
    return new Promise((resolve, reject) => {
      request(`${url}events`, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        resolve({ status: res.statusCode!, type: res.headers['content-type'], body: () => body });
      })
        .on('error', reject)
        .end();
    });
  }

  it('says what is wrong in plain text: no token, a method other than GET or HEAD, no verification yet', async () => {
    page = await startInspector({ mode: 'create' });
    const forbidden = await get(page.url.replace(/[^/]+\/$/, ''));
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(forbidden.body).toBe('Forbidden: open the URL the command printed, token included.\n');
    const post = await get(page.url, {}, 'DELETE');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(post.body).toBe('Method not allowed.\n');
    const head = await get(page.url, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    const noQr = await get(`${page.url}qr.svg`);
    expect(noQr.body).toBe('No verification yet.\n');
    expect((await get(`${page.url}nothing.js`)).body).toBe('Not found.\n');
  });

  it('streams events as text/event-stream, 16 pages at a time unless told otherwise', async () => {
    page = await startInspector({ mode: 'listen' });
    const streams = await Promise.all(Array.from({ length: 16 }, () => openStream(page!.url)));
    expect(streams.map((s) => s.status)).toEqual(Array(16).fill(200));
    expect(streams[0]!.type).toBe('text/event-stream; charset=utf-8');
    const refused = await get(`${page.url}events`);
    expect(refused.status).toBe(429);
    expect(refused.body).toBe('Too many pages open.\n');
    await page.close();

    page = await startInspector({ mode: 'listen', maxPages: 1 });
    expect((await openStream(page.url)).status).toBe(200);
    expect((await get(`${page.url}events`)).status).toBe(429);
  });

  it('masks the secret in the note of an end and in a failure, and says the page failed', async () => {
    page = await startInspector({ mode: 'listen', secrets: [SECRET] });
    const stream = await openStream(page.url);
    page.fail(`the tunnel said ${SECRET}`);
    await until(() => /"status":"failed"/.test(stream.body()), 'the failed state');
    expect(stream.body()).toMatch(/"note":"the tunnel said ••••5521"/);
    expect(stream.body()).toMatch(/"ended":true/);
    expect(stream.body()).not.toContain(SECRET);
  });

  it('listens on the port it is given', async () => {
    const port = await freePort();
    page = await startInspector({ mode: 'listen', port });
    expect(page.port).toBe(port);
    expect(page.url).toBe(`http://127.0.0.1:${port}/${page.url.split('/')[3]}/`);
  });
});
