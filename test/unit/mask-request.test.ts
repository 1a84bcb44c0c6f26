import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runListenFlow } from '../../src/flow/listen-flow.js';
import type { Delivery } from '../../src/webhook/delivery.js';
import { requestMasker, secretSpellings as secretForms, type RequestMasker } from '../../src/mask.js';

const SECRET = 'whsec_Mask/Me+Please=0193';

describe('requestMasker', () => {
  // Built inside each test, not once for the file: what runs while the file loads runs before
  // `npm run mutate` switches a mutant on.
  let masker: RequestMasker;
  beforeEach(() => {
    masker = requestMasker([SECRET])!;
  });
  const encoded = encodeURIComponent(SECRET);
  const base64 = Buffer.from(SECRET).toString('base64');

  it('masks the secret in the path and query in every form', () => {
    expect(masker.path(`/webhook?token=${SECRET}`)).toBe('/webhook?token=[redacted]');
    expect(masker.path(`/webhook?token=${encoded}&a=1`)).toBe('/webhook?token=[redacted]&a=1');
    expect(masker.path(`/webhook?token=${encoded.toLowerCase()}`)).toBe('/webhook?token=[redacted]');
    expect(masker.path(`/webhook?t=${base64}`)).toBe('/webhook?t=[redacted]');
    expect(masker.path(`/webhook?t=${Buffer.from(SECRET).toString('base64url')}`)).toBe('/webhook?t=[redacted]');
    expect(masker.path(`/webhook/${encoded}`)).toBe('/webhook/[redacted]');
    expect(masker.path('/webhook?a=1&b=two')).toBe('/webhook?a=1&b=two');
  });

  it('masks a query value that is a near miss or holds a run of the secret, by name or alone', () => {
    const nearMiss = encodeURIComponent('whsec_Mask/Me+Pleese=0193');
    expect(masker.path(`/webhook?token=${nearMiss}&a=1`)).toBe('/webhook?token=[redacted]&a=1');
    expect(masker.path(`/webhook?a=1&${nearMiss}`)).toBe('/webhook?a=1&[redacted]');
    const run = encodeURIComponent(`prefix-${SECRET.slice(4, 14)}-and-a-much-longer-tail`);
    expect(masker.path(`/webhook?t=${run}`)).toBe('/webhook?t=[redacted]');
    // Values without any of it, empty values and bare names stay as they came.
    expect(masker.path('/webhook?a=&flag&b=hello%20world&c=whsec')).toBe('/webhook?a=&flag&b=hello%20world&c=whsec');
    expect(masker.path('/webhook?')).toBe('/webhook?');
  });

  it('masks every value it is given, in the path and in headers', () => {
    const other = 'tok_Another-Value_4242';
    const both = requestMasker([SECRET, other, SECRET, undefined])!;
    expect(both.path(`/webhook?a=${encoded}&b=${other}`)).toBe('/webhook?a=[redacted]&b=[redacted]');
    expect(both.carriesSecret(`Bearer ${other}`)).toBe(true);
    expect(both.carriesSecret(SECRET)).toBe(true);
    expect(both.carriesSecret('text/plain')).toBe(false);
    expect(requestMasker([undefined, 'abc'])).toBeUndefined();
  });

  it('finds the secret in a header in every form, and near misses of it', () => {
    for (const form of secretForms(SECRET)) expect(masker.carriesSecret(`Bearer ${form}`), form).toBe(true);
    expect(masker.carriesSecret(encoded.toLowerCase())).toBe(true);
    expect(masker.carriesSecret('whsec_Mask/Me+Pleese=0193')).toBe(true); // one letter off
    expect(masker.carriesSecret('whsec_Mask/Me+Please=019')).toBe(true); // cut short
    expect(masker.carriesSecret('Bearer xhsec_Mask/Me+Please=0194')).toBe(true);
    expect(masker.carriesSecret('application/json; charset=utf-8')).toBe(false);
    expect(masker.carriesSecret('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)')).toBe(false);
  });
});

describe('the listener records no form of the secret', () => {
  let stop: AbortController | undefined;
  afterEach(() => stop?.abort());

  it('in the log, the JSON stream or the headers', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'mask-request-')), 'log.ndjson');
    stop = new AbortController();
    const seen: Delivery[] = [];
    let url = '';
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const flow = runListenFlow({
      secret: SECRET,
      logPath: log,
      maxEvents: 1,
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === 'ready') {
          url = e.localUrl;
          ready();
        }
        if (e.type === 'delivery') seen.push(e.delivery);
      },
    });
    await isReady;
    const encoded = encodeURIComponent(SECRET);
    await fetch(`${url}?token=${encoded.toLowerCase()}&b64=${Buffer.from(SECRET).toString('base64')}`, {
      method: 'POST',
      headers: { 'secret-key': 'nope', 'x-other': 'whsec_Mask/Me+Pleese=0193' },
      body: '{}',
    });
    await fetch(`${url}?token=${SECRET}`, { method: 'POST', headers: { 'secret-key': SECRET, 'content-type': 'application/json' }, body: '{}' });
    await flow;
    const text = readFileSync(log, 'utf8') + JSON.stringify(seen.map((d) => ({ path: d.path, headers: d.headers, detail: d.detail })));
    for (const form of [...secretForms(SECRET), encoded.toLowerCase(), 'Pleese', 'Mask/Me']) expect(text, form).not.toContain(form);
    expect(seen.map((d) => d.path)).toEqual(['/webhook?token=[redacted]&b64=[redacted]', '/webhook?token=[redacted]']);
    expect(seen[0]!.headers['x-other']).toBe('[redacted]');
  });
});
