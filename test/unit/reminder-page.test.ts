import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runListenFlow, type ListenFlowEvent } from '../../src/flow/listen-flow.js';
import { exposeListener } from '../../src/tunnel/expose-listener.js';
import { newProbeToken, probePublicUrl } from '../../src/tunnel/probe.js';
import { startListener } from '../../src/webhook/listener.js';
import { isReminderPage, looksLikeBrowser, REMINDER_BYPASS_HEADERS } from '../../src/tunnel/reminder-page.js';
import { toLogRecord } from '../../src/webhook/delivery-log.js';
import { pageDelivery } from '../../src/inspector/page-state.js';
import { LocaltunnelServer, REMINDER_HTML, sendThrough } from '../helpers/localtunnel-server.js';
import { until } from '../helpers/until.js';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

describe("recognising loca.lt's reminder page", () => {
  it('is a 401 web page that speaks of localtunnel or of the header that skips it', () => {
    expect(isReminderPage(401, Buffer.from(REMINDER_HTML))).toBe(true);
    expect(isReminderPage(401, '<html><body>Friendly Reminder: loca.lt</body></html>')).toBe(true);
    // The listener's own refusal is JSON; another site's 401 page says nothing of the tunnel.
    expect(isReminderPage(401, '{"ok":false,"error":"secret-missing"}')).toBe(false);
    expect(isReminderPage(401, '<html><title>Login required</title></html>')).toBe(false);
    expect(isReminderPage(200, REMINDER_HTML)).toBe(false);
    expect(isReminderPage(503, REMINDER_HTML)).toBe(false);
  });

  it('a probe the server answers with it is reported by name', async () => {
    const page = createServer((req, res) => res.writeHead(401, { 'content-type': 'text/html' }).end(REMINDER_HTML));
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    try {
      const result = await probePublicUrl(`http://127.0.0.1:${(page.address() as AddressInfo).port}/webhook`, newProbeToken());
      expect(result).toMatchObject({ ok: false, status: 401, reminderPage: true, reason: expect.stringContaining("loca.lt's reminder page") });
    } finally {
      page.close();
    }
  });

  it('probes carry bypass-tunnel-reminder: a server that shows the page to browsers lets them through', async () => {
    expect(REMINDER_BYPASS_HEADERS['bypass-tunnel-reminder']).toBe('1');
    const server = new LocaltunnelServer();
    await server.start();
    const probeToken = newProbeToken();
    const listener = await startListener({ probeToken });
    const exposed = await exposeListener(listener, { kind: 'localtunnel', host: server.url }, { probeToken, watchdog: false });
    try {
      server.reminder = 'browsers';
      expect(await exposed.probe()).toMatchObject({ ok: true });
      // A sender that looks like a browser and does not send the header gets the page, not the listener.
      const refused = await sendThrough(exposed.webhookUrl(), { headers: { 'content-type': 'application/json', 'user-agent': FIREFOX }, body: '{}' });
      expect(refused.status).toBe(401);
      expect(isReminderPage(refused.status, refused.body)).toBe(true);
      expect(server.reminderPages).toBe(1);
    } finally {
      await exposed.close();
      await listener.close();
      await server.stop();
    }
  });
});

describe('browser-like User-Agents', () => {
  it('are the ones starting with Mozilla/ (or old Opera/)', () => {
    expect(looksLikeBrowser(FIREFOX)).toBe(true);
    expect(looksLikeBrowser('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36')).toBe(true);
    expect(looksLikeBrowser('Opera/9.80 (Windows NT 6.1) Presto/2.12')).toBe(true);
    for (const ua of ['Go-http-client/1.1', 'curl/8.5.0', 'axios/1.7.2', 'sendtalk-verify/0.1.0', 'okhttp/4.12.0', '', undefined])
      expect(looksLikeBrowser(ua)).toBe(false);
  });

  describe('on deliveries', () => {
    let server: LocaltunnelServer;
    beforeEach(async () => {
      server = new LocaltunnelServer();
      await server.start();
    });
    afterEach(async () => server.stop());

    it('through localtunnel are flagged; others are not; the User-Agent is in the record and on the page', async () => {
      const events: ListenFlowEvent[] = [];
      const stop = new AbortController();
      let webhookUrl = '';
      const flow = runListenFlow({
        tunnel: { kind: 'localtunnel', host: server.url },
        signal: stop.signal,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'ready') webhookUrl = e.webhookUrl;
        },
      });
      await until(() => events.some((e) => e.type === 'waiting'), 'the flow to wait');
      // A browser-like sender that does send the header gets through, and is pointed out.
      await sendThrough(webhookUrl, {
        headers: { 'content-type': 'application/json', 'user-agent': FIREFOX, 'bypass-tunnel-reminder': '1' },
        body: '{"verificationID":"a"}',
      });
      await sendThrough(webhookUrl, { headers: { 'content-type': 'application/json', 'user-agent': 'Go-http-client/1.1' }, body: '{"verificationID":"b"}' });
      await until(() => events.filter((e) => e.type === 'delivery').length === 2, 'two deliveries');
      stop.abort();
      await flow;
      const [browser, server2server] = events.filter((e): e is Extract<ListenFlowEvent, { type: 'delivery' }> => e.type === 'delivery');
      expect(browser!.browserThroughLocaltunnel).toBe(true);
      expect(server2server!.browserThroughLocaltunnel).toBeUndefined();
      expect(toLogRecord(browser!.delivery).userAgent).toBe(FIREFOX);
      expect(toLogRecord(server2server!.delivery).userAgent).toBe('Go-http-client/1.1');
      const onPage = pageDelivery(browser!.delivery, (t) => t, { browserThroughLocaltunnel: true });
      expect(onPage).toMatchObject({ userAgent: FIREFOX, warning: expect.stringContaining("loca.lt's reminder page") });
      expect(pageDelivery(server2server!.delivery, (t) => t).warning).toBeUndefined();
    });

    it('that came without a tunnel are not flagged', async () => {
      const events: ListenFlowEvent[] = [];
      const stop = new AbortController();
      let localUrl = '';
      const flow = runListenFlow({
        signal: stop.signal,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'ready') localUrl = e.localUrl;
        },
      });
      await until(() => events.some((e) => e.type === 'waiting'), 'the flow to wait');
      await fetch(localUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': FIREFOX }, body: '{}' });
      await until(() => events.some((e) => e.type === 'delivery'), 'the delivery');
      stop.abort();
      await flow;
      expect(events.find((e) => e.type === 'delivery')).not.toHaveProperty('browserThroughLocaltunnel');
    });
  });
});
