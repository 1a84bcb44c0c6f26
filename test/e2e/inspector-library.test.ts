import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

describe('startInspector, imported by name', () => {
  it('shows a create flow fed by its events: the QR code as SVG and the verified state', async () => {
    const script = `
      import { request } from 'node:http';
      import { runCreateFlow, startInspector } from 'sendtalk-verify';
      const get = (url) => new Promise((resolve, reject) => request(url, (res) => { let body = ''; res.setEncoding('utf8').on('data', (c) => { body += c; }).on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body })); }).on('error', reject).end());
      const page = await startInspector({ mode: 'create' });
      const result = await runCreateFlow({ phone: '6281234567890', sandbox: true, sandboxDelayMs: 0, onEvent: (event) => page.feed(event) });
      page.end(result);
      const events = await new Promise((resolve) => {
        const req = request(page.url + 'events', (res) => { let text = ''; res.setEncoding('utf8').on('data', (c) => { text += c; if (text.includes('"ended":true')) { req.destroy(); resolve(text); } }); });
        req.on('error', () => {}).end();
      });
      const svg = await get(page.url + 'qr.svg');
      const denied = await get(page.url.replace(/[^/]+\\/$/, ''));
      await page.close();
      console.log(JSON.stringify({ verified: /"status":"verified"/.test(events), delivery: /"deliveries":\\[\\{"seq":1,/.test(events), svg: svg.status === 200 && svg.type === 'image/svg+xml' && svg.body.startsWith('<svg'), denied: denied.status }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({ verified: true, delivery: true, svg: true, denied: 403 });
  });
});
