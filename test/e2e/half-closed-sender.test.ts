import { connect } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, localUrlOf, startListen } from '../helpers/listen-process.js';

afterEach(async () => {
  await killAll();
});

/** Sends one request and half-closes (FIN) at once, as some senders do; resolves with what came back. */
function sendAndHalfClose(url: URL, body: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let text = '';
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      text += d;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on('error', () => {});
    socket.on('connect', () => {
      socket.end(
        `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  });
}

describe('a sender that half-closes after its request', () => {
  it('still gets its 200 when --log makes the answer wait for the record', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'sendtalk-half-')), 'deliveries.ndjson');
    const listen = startListen(['--tunnel', 'none', '--log', log]);
    const url = new URL(await localUrlOf(listen));
    const answer = await sendAndHalfClose(url, '{"verificationID":"v-half","status":"verified"}');
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(readFileSync(log, 'utf8')).toContain('"verificationId":"v-half"');
  });
});
