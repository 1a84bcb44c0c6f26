import { describe, expect, it, type TestContext } from 'vitest';
import { CREATE_PATH } from '../../src/client/create-verification.js';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/emulator.js';
import type { Fault } from '../../src/emulator/faults.js';
import { runCli, startCli, waitForOutput, type CliResult } from '../helpers/cli.js';

/**
 * The SendTalk API misbehaving, through the emulator's fault injection, seen through the built CLI:
 * every case ends in bounded time with its exit code and a message that says what happened, and
 * the emulator counts what reached it, so retries on the wire are checked, not assumed.
 */
const KEY = 'st_fault_KEY_never_printed_5521';
const PHONE = '6281234567890';

interface FaultyApi {
  emulator: EmulatorHandle;
  /** Create requests that reached the emulator (answered, faulted or left hanging). */
  seen(): number;
}

/** An emulator for one test (the tests run concurrently: each closes its own when it ends). */
async function faultyApi(t: TestContext, ...faults: Array<[Fault, number?]>): Promise<FaultyApi> {
  let seen = 0;
  const emulator = await startEmulator({
    apiKey: KEY,
    autoVerifyMs: false,
    onEvent: (e) => {
      if (e.type === 'request' && e.path === CREATE_PATH) seen++;
    },
  });
  for (const [fault, count] of faults) emulator.injectFault(fault, count ?? 1);
  t.onTestFinished(() => emulator.close());
  return { emulator, seen: () => seen };
}

const createArgs = (url: string, ...extra: string[]): string[] => ['create', '--api-url', url, '--api-key', KEY, '--phone', PHONE, '--no-wait', ...extra];

/** Attempts on the wire, as `--debug` traces them (one `→ POST` line per attempt). */
const attempts = (r: CliResult): number => r.stderr.split('\n').filter((l) => l.includes('[debug] → POST')).length;

function expectClean(r: CliResult): void {
  expect(r.signal, 'the CLI was killed: it did not end by itself').toBeNull();
  // Stack traces only with --debug, and then only as [debug] lines.
  const withoutDebug = r.stderr.replace(/^\[debug\] .*(\n\s+at .*)*/gm, '');
  expect(withoutDebug).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(r.stdout + r.stderr).not.toContain(KEY);
}

describe.concurrent('create --no-wait against a faulty SendTalk API', () => {
  it.for<{ name: string; faults: Array<[Fault, number?]>; exit: number; message: RegExp; hint?: RegExp; seen: number }>([
    {
      name: 'HTTP 500 with an HTML page: not retried (the create may have happened)',
      faults: [[{ type: 'http-error', status: 500 }, 5]],
      exit: 1,
      message: /HTTP 500 with an HTML page \("500 Internal Server Error"\) instead of JSON\./,
      hint: /try again in a minute/,
      seen: 1,
    },
    {
      name: 'HTTP 502 three times: retried twice, then given up',
      faults: [[{ type: 'http-error', status: 502 }, 5]],
      exit: 1,
      message: /HTTP 502 with an HTML page \("502 Bad Gateway"\) instead of JSON \(3 attempts\)/,
      seen: 3,
    },
    {
      name: 'HTTP 503 three times: retried twice, then given up',
      faults: [[{ type: 'http-error', status: 503 }, 5]],
      exit: 1,
      message: /HTTP 503 with an HTML page \("503 Service Unavailable"\) instead of JSON \(3 attempts\)/,
      seen: 3,
    },
    {
      name: 'HTTP 504 three times: retried twice, then given up',
      faults: [[{ type: 'http-error', status: 504 }, 5]],
      exit: 1,
      message: /HTTP 504 with an HTML page \("504 Gateway Timeout"\) instead of JSON \(3 attempts\)/,
      seen: 3,
    },
    {
      name: 'HTTP 429 three times: retried after Retry-After, then given up',
      faults: [[{ type: 'rate-limit', retryAfter: 0 }, 5]],
      exit: 1,
      message: /rate-limiting this key: HTTP 429, Retry-After 0 s \(3 attempts\)/,
      hint: /Wait and try again/,
      seen: 3,
    },
    {
      name: 'HTTP 429 asking for an hour: not retried, says when to',
      faults: [[{ type: 'rate-limit', retryAfter: 3600 }, 5]],
      exit: 1,
      message: /rate-limiting this key: HTTP 429, Retry-After 3600 s\./,
      hint: /try again in 3600 s/,
      seen: 1,
    },
    {
      name: 'an HTML page with HTTP 200 (captive portal)',
      faults: [[{ type: 'html', status: 200 }]],
      exit: 1,
      message: /HTTP 200 with an HTML page \("Sign in to continue"\) instead of JSON/,
      hint: /captive portal .*--api-url/,
      seen: 1,
    },
    {
      name: 'an error envelope on HTTP 200 (parameter): exit 4, never retried',
      faults: [[{ type: 'error-envelope', status: 400, code: '40002', message: 'Phone is invalid', field: 'phone' }, 5]],
      exit: 4,
      message: /SendTalk rejected the request: Phone is invalid \(code 40002, field phone\)/,
      hint: /--phone/,
      seen: 1,
    },
    {
      name: 'an error envelope on HTTP 200 (API key): exit 4',
      faults: [[{ type: 'error-envelope', status: 401, code: 'HeaderValidationFailed', message: 'API-Key is invalid', field: 'API-Key' }]],
      exit: 4,
      message: /API-Key is invalid/,
      hint: /SENDTALK_API_KEY/,
      seen: 1,
    },
    {
      name: 'an error envelope on HTTP 200 (server side): exit 1, never retried',
      faults: [[{ type: 'error-envelope', status: 503, code: '50300', message: 'Service is busy', field: '' }, 5]],
      exit: 1,
      message: /Service is busy \(code 50300\)/,
      seen: 1,
    },
    {
      name: 'an error envelope on HTTP 200 with status 429: rate limit, never retried',
      faults: [[{ type: 'error-envelope', status: 429, code: 'TooManyRequests', message: 'Slow down', field: '' }, 5]],
      exit: 1,
      message: /rate-limiting this key: Slow down/,
      seen: 1,
    },
    {
      name: 'a success envelope missing the id and the link',
      faults: [[{ type: 'missing-fields', fields: ['verificationID', 'waLink'] }]],
      exit: 1,
      message: /has no verification id \(looked for .+\) and no WhatsApp link \(looked for .+\)\. Its data has: userPhone, waMessage, qrCode, expiredTime\./,
      hint: /--debug/,
      seen: 1,
    },
    {
      name: 'a success envelope missing only the link',
      faults: [[{ type: 'missing-fields', fields: ['waLink', 'qrCode'] }]],
      exit: 1,
      message: /has no WhatsApp link/,
      seen: 1,
    },
    {
      name: 'a JSON body cut short with HTTP 200',
      faults: [[{ type: 'malformed' }, 5]],
      exit: 1,
      message: /HTTP 200 with a body that is not JSON instead of JSON\./,
      seen: 1,
    },
    {
      name: 'a reset in the middle of the answer: not retried',
      faults: [[{ type: 'reset', at: 'mid-body' }, 5]],
      exit: 1,
      message: /cut the connection in the middle of its answer/,
      hint: /may have created the verification/,
      seen: 1,
    },
    {
      name: 'a reset before any answer: not retried',
      faults: [[{ type: 'reset', at: 'before-answer' }, 5]],
      exit: 1,
      message: /closed the connection before answering/,
      hint: /not sent twice/,
      seen: 1,
    },
  ])('$name', async ({ faults, exit, message, hint, seen }, t) => {
    const api = await faultyApi(t, ...faults);
    const r = await runCli(createArgs(api.emulator.url, '--debug'));
    expectClean(r);
    expect(r.code, r.stderr).toBe(exit);
    expect(r.stderr).toMatch(message);
    if (hint) expect(r.stderr).toMatch(hint);
    expect(api.seen()).toBe(seen);
    expect(attempts(r)).toBe(seen);
    expect(api.emulator.verifications.size).toBe(0);
  });

  it.for<[string, Fault, number]>([
    ['HTTP 502', { type: 'http-error', status: 502 }, 2],
    ['HTTP 503', { type: 'http-error', status: 503 }, 1],
    ['HTTP 504', { type: 'http-error', status: 504 }, 2],
    ['HTTP 429 with Retry-After: 1', { type: 'rate-limit', retryAfter: 1 }, 1],
  ])('recovers from %s when a retry succeeds, creating exactly one verification', async ([, fault, count], t) => {
    const api = await faultyApi(t, [fault, count]);
    const r = await runCli(createArgs(api.emulator.url, '--json'));
    expectClean(r);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ status: 'created', phone: PHONE });
    expect(api.seen()).toBe(count + 1);
    expect([...api.emulator.verifications.keys()]).toEqual([doc.id]);
  });

  it('prints one JSON error document under --json, with the category and exit code', async (t) => {
    const api = await faultyApi(t, [{ type: 'http-error', status: 503 }, 5]);
    const r = await runCli(createArgs(api.emulator.url, '--json'));
    expectClean(r);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      status: 'error',
      error: { category: 'api-unavailable', exitCode: 1, message: expect.stringMatching(/HTTP 503 .*\(3 attempts\)/) },
    });
  });

  it('retries a refused connection (nothing was sent), and succeeds once the API is back', async (t) => {
    const api = await faultyApi(t);
    void api.emulator.goOffline(20_000);
    const cli = startCli(createArgs(api.emulator.url, '--debug', '--json'));
    t.onTestFinished(() => {
      cli.child.kill('SIGKILL');
    });
    // Back as soon as the first attempt was refused; the retry that follows (or the next) gets through.
    await waitForOutput(cli.stderr, /↻ ECONNREFUSED: nothing was sent, retrying in \d+ ms/);
    await api.emulator.goOnline();
    const r = await cli.done;
    expectClean(r);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/refused the connection/);
    expect(attempts(r)).toBeGreaterThanOrEqual(2);
    expect(api.seen()).toBe(1);
    expect(api.emulator.verifications.size).toBe(1);
  });

  it('gives up on a connection that stays refused after 3 attempts', async (t) => {
    const api = await faultyApi(t);
    void api.emulator.goOffline(20_000);
    const r = await runCli(createArgs(api.emulator.url, '--debug'));
    expectClean(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/127\.0\.0\.1:\d+ refused the connection \(3 attempts\)\./);
    expect(r.stderr).toMatch(/Is the API running there\?.*--api-url/);
    expect(attempts(r)).toBe(3);
    expect(api.seen()).toBe(0);
  });

  it('gives up on a hang after the response timeout, without retrying', async (t) => {
    const api = await faultyApi(t, [{ type: 'hang' }, 5]);
    const r = await runCli(createArgs(api.emulator.url, '--debug'), { killAfterMs: 28_000 });
    expectClean(r);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/127\.0\.0\.1:\d+ did not answer within 15 s\./);
    expect(r.stderr).toMatch(/may have created the verification/);
    expect(api.seen()).toBe(1);
    expect(attempts(r)).toBe(1);
  });
});
