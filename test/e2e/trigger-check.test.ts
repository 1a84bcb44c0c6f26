import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import {
  AcceptsAnythingEndpoint,
  CorrectEndpoint,
  EchoesHeadersEndpoint,
  FailsOnBadJsonEndpoint,
  IgnoresSecretEndpoint,
  TimesOutEndpoint,
} from '../helpers/webhook-endpoints.js';
import { serversStoppedAfterEach } from '../helpers/cleanup.js';

const SECRET = 'S3cr3t-Do-Not-Print-9f8e7d';
const ALL_CASES = ['valid', 'duplicate', 'no-secret', 'wrong-secret', 'malformed-json', 'wrong-method', 'oversized'];
const start = serversStoppedAfterEach();

async function check(url: string, env: Record<string, string> = {}) {
  const result = await runCli(['trigger', '--url', url, '--secret', SECRET, '--check', '--json'], { env: { SENDTALK_REQUEST_TIMEOUT: '2s', ...env } });
  const report = JSON.parse(result.stdout);
  const failed = report.cases.filter((c: any) => c.verdict === 'fail').map((c: any) => c.name);
  return { result, report, failed };
}

/** No part of the secret may show: not whole, not masked to its first or last characters. */
function expectNoSecret(text: string): void {
  for (const part of [SECRET, SECRET.slice(0, 6), 'Do-Not-Print', SECRET.slice(-6)]) expect(text).not.toContain(part);
}

describe('trigger --check', () => {
  it('passes an endpoint that checks the secret and rejects bad input: exit 0, one JSON document', async () => {
    const endpoint = await start(new CorrectEndpoint(SECRET));
    const { result, report, failed } = await check(endpoint.url);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(failed).toEqual([]);
    expect(report).toMatchObject({ mode: 'check', url: endpoint.url, secretHeader: 'X-Secret-Key', passed: true, summary: { passed: 7, failed: 0, total: 7 } });
    expect(report.cases.map((c: any) => c.name)).toEqual(ALL_CASES);
    expect(report.cases.slice(0, 6).map((c: any) => c.got.status)).toEqual([200, 200, 401, 401, 400, 405]);
    // The endpoint answers 413 and closes; the 413 may be lost to the connection reset that follows.
    expect(report.cases[6].got.status === 413 || report.cases[6].got.failure === 'reset').toBe(true);
    expectNoSecret(result.stdout + result.stderr);

    // What went over the wire, in order.
    const sent = endpoint.requests;
    expect(sent.map((r) => r.method)).toEqual(['POST', 'POST', 'POST', 'POST', 'POST', 'GET', 'POST']);
    expect(sent.map((r) => r.headers['x-secret-key'] === SECRET)).toEqual([true, true, false, false, true, true, true]);
    expect(sent[2]!.headers['x-secret-key']).toBeUndefined();
    expect(sent.every((r) => r.headers['secret-key'] === undefined)).toBe(true);
    expect(String(sent[3]!.headers['x-secret-key'])).toHaveLength(SECRET.length);
    expect(sent[1]!.body.equals(sent[0]!.body)).toBe(true);
    expect(JSON.parse(sent[0]!.body.toString())).toMatchObject({ status: 'verified', verificationID: expect.any(String) });
    expect(() => JSON.parse(sent[4]!.body.toString())).toThrow();
    expect(sent[6]!.headers['content-length']).toBe(String(2 * 1024 * 1024));
  });

  it('prints a table for humans, and nothing but the result on stdout', async () => {
    const endpoint = await start(new CorrectEndpoint(SECRET));
    const result = await runCli(['trigger', '--url', endpoint.url, '--secret', SECRET, '--check']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ {2}case\s+expected\s+got\s+verdict$/);
    expect(lines.slice(2, 9).map((l) => l.trim().split(/\s+/)[0])).toEqual(ALL_CASES);
    expect(lines.slice(2, 9).every((l) => l.endsWith('✔ pass'))).toBe(true);
    expect(lines.at(-1)).toBe(`✔ All 7 checks passed for ${endpoint.url}.`);
    expect(result.stderr).toContain(`Checking ${endpoint.url} with 7 cases`);
    expectNoSecret(result.stdout + result.stderr);
  });

  it('fails an endpoint that accepts everything: exit 5, the forgeries fail, with advice', async () => {
    const endpoint = await start(new AcceptsAnythingEndpoint(SECRET));
    const { result, report, failed } = await check(endpoint.url);
    expect(result.code, result.stdout + result.stderr).toBe(5);
    expect(report.passed).toBe(false);
    expect(failed).toEqual(['no-secret', 'wrong-secret', 'malformed-json', 'wrong-method', 'oversized']);
    expect(report.cases.find((c: any) => c.name === 'no-secret').advice).toMatch(/anyone who finds the URL/);

    const human = await runCli(['trigger', '--url', endpoint.url, '--secret', SECRET, '--check']);
    expect(human.code, human.stdout + human.stderr).toBe(5);
    expect(human.stdout).toMatch(/no-secret\s+401\/403\s+200 OK \(.+\)\s+✖ FAIL/);
    expect(human.stdout).toContain(`✖ 5 of 7 checks failed for ${endpoint.url}:`);
    expectNoSecret(human.stdout + human.stderr);
  });

  it('fails an endpoint that ignores the secret on exactly the secret cases', async () => {
    const endpoint = await start(new IgnoresSecretEndpoint(SECRET));
    const { result, failed } = await check(endpoint.url);
    expect(result.code, result.stdout + result.stderr).toBe(5);
    expect(failed).toEqual(['no-secret', 'wrong-secret']);
  });

  it('fails an endpoint that answers 500 to bad JSON on exactly that case', async () => {
    const endpoint = await start(new FailsOnBadJsonEndpoint(SECRET));
    const { result, report, failed } = await check(endpoint.url);
    expect(result.code, result.stdout + result.stderr).toBe(5);
    expect(failed).toEqual(['malformed-json']);
    expect(report.cases[4].advice).toMatch(/fails on bad input/);
  });

  it('grades an endpoint that never answers as timed out on every case, within the request timeout', async () => {
    const endpoint = await start(new TimesOutEndpoint(SECRET));
    const { result, report, failed } = await check(endpoint.url, { SENDTALK_REQUEST_TIMEOUT: '300ms' });
    expect(result.code, result.stdout + result.stderr).toBe(5);
    expect(failed).toEqual(ALL_CASES);
    expect(report.cases.every((c: any) => c.got.status === null && c.got.failure === 'timeout' && c.got.summary === 'no answer within 300 ms')).toBe(true);
    expect(result.stderr).not.toMatch(/Unexpected error|\n\s+at /);
  });

  it('grades an unreachable endpoint as refused, not as a crash', async () => {
    const { result, report } = await check(`http://127.0.0.1:${await freePort()}/webhook`);
    expect(result.code, result.stdout + result.stderr).toBe(5);
    expect(report.cases.every((c: any) => c.got.failure === 'refused' && c.verdict === 'fail')).toBe(true);
  });

  it('never shows the secret, even when the endpoint echoes it back', async () => {
    const endpoint = await start(new EchoesHeadersEndpoint(SECRET));
    const { result, report } = await check(endpoint.url);
    expect(report.cases[0].got.bodyStart).toContain('[redacted]');
    expectNoSecret(result.stdout + result.stderr);
  });

  it('needs a secret: exit 2 and nothing sent', async () => {
    const endpoint = await start(new CorrectEndpoint(SECRET));
    const result = await runCli(['trigger', '--url', endpoint.url, '--check']);
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('SENDTALK_WEBHOOK_SECRET');
    expect(endpoint.requests).toEqual([]);
  });

  it('reads the secret from SENDTALK_WEBHOOK_SECRET and the header name from SENDTALK_SECRET_HEADER', async () => {
    const endpoint = await start(new CorrectEndpoint(SECRET, 'X-Webhook-Secret'));
    const result = await runCli(['trigger', '--url', endpoint.url, '--check', '--json'], {
      env: { SENDTALK_SECRET_HEADER: 'X-Webhook-Secret', SENDTALK_WEBHOOK_SECRET: SECRET },
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).secretHeader).toBe('X-Webhook-Secret');
  });
});
