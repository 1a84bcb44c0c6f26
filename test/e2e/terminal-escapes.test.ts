import { afterEach, describe, expect, it } from 'vitest';
import { escapeControls, escapeJsonControls } from '../../src/render/escape-controls.js';
import { serversStoppedAfterEach } from '../helpers/cleanup.js';
import { runCli, startCli, waitForOutput } from '../helpers/cli.js';
import { envelope, FakeApi } from '../helpers/fake-api.js';
import { killAll } from '../helpers/listen-process.js';

/** Clear screen, set the window title, ring the bell, return to the line start: what a hostile peer sends. */
const HOSTILE = '\u001b[2J\u001b]0;pwned\u0007\rX\u009b31m';
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const started = serversStoppedAfterEach();
afterEach(async () => {
  await killAll();
});

describe('text a peer chose reaches the terminal escaped', () => {
  it('listen (text mode): payload fields and the path', async () => {
    const listen = startCli(['listen', '--tunnel', 'none', '--max-events', '1']);
    try {
      const url = (await waitForOutput(listen.stderr, /Webhook listener on (\S+)/))[1]!;
      const res = await fetch(`${url}?q=${encodeURIComponent('\u001b')}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ verificationID: `v${HOSTILE}`, userPhone: `62${HOSTILE}` }),
      });
      expect(res.status).toBe(200);
      const r = await listen.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('\\x1b[2J\\x1b]0;pwned\\x07\\rX\\x9b31m');
      expect(r.stdout).not.toMatch(RAW_CONTROL);
      expect(r.stderr).not.toMatch(RAW_CONTROL);
    } finally {
      listen.child.kill('SIGKILL');
    }
  });

  it('create: the API error message', async () => {
    const api = await started(new FakeApi({ body: envelope({}, { code: '40002', message: `Phone is required${HOSTILE}`, field: 'phone' }, 400) }));
    const r = await runCli(['create', '--api-url', api.url, '--api-key', 'st_escape_key_000000001', '--phone', '6281234567890', '--no-wait']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('Phone is required\\x1b[2J');
    expect(r.stderr).not.toMatch(RAW_CONTROL);
  });
});

describe('text a peer chose reaches --json escaped', () => {
  it('listen --json: DEL, C1 controls, U+2028/9 and bidirectional controls as \\uXXXX, nothing raw', async () => {
    const listen = startCli(['listen', '--tunnel', 'none', '--max-events', '1', '--json']);
    try {
      const url = (await waitForOutput(listen.stderr, /Webhook listener on (\S+)/))[1]!;
      const tricky = 'a\u007fb\u009bc\u2028d\u2029e\u202ef\u2066g\u200fh';
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ verificationID: tricky, status: 'verified' }),
      });
      expect(res.status).toBe(200);
      const r = await listen.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('a\\u007fb\\u009bc\\u2028d\\u2029e\\u202ef\\u2066g\\u200fh');
      expect(r.stdout).not.toMatch(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f]/);
      // Still JSON, and the same text once parsed.
      const line = r.stdout
        .split('\n')
        .map((l) => JSON.parse(l || 'null'))
        .find((doc) => doc?.type === 'delivery');
      expect(JSON.stringify(line)).toContain(JSON.stringify(tricky).slice(1, -1));
    } finally {
      listen.child.kill('SIGKILL');
    }
  });
});

describe('escapeControls', () => {
  it('shows a C1 control alone (no ESC beside it) and the bidirectional controls, which reorder a line', () => {
    expect(escapeControls('a\u009b2Jb')).toBe('a\\x9b2Jb');
    expect(escapeControls('x\u007f')).toBe('x\\x7f');
    expect(escapeControls('user\u202etxt.exe \u2066a\u2069 \u200e\u200f')).toBe('user\\u202etxt.exe \\u2066a\\u2069 \\u200e\\u200f');
    expect(escapeJsonControls(JSON.stringify('\u2028\u0085'))).toBe('"\\u2028\\u0085"');
    expect(escapeJsonControls('{"a":"plain é ✓"}')).toBe('{"a":"plain é ✓"}');
  });

  it('shows every control character but tab and newline, and keeps colours only when asked', () => {
    expect(escapeControls('a\tb\nc')).toBe('a\tb\nc');
    expect(escapeControls('\u001b[32mok\u001b[39m \u001b[2J\u0008')).toBe('\\x1b[32mok\\x1b[39m \\x1b[2J\\x08');
    expect(escapeControls('\u001b[32mok\u001b[39m \u001b[2J\u001b]0;t\u0007', true)).toBe('\u001b[32mok\u001b[39m \\x1b[2J\\x1b]0;t\\x07');
  });
});
