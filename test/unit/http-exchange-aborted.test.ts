import { describe, expect, it } from 'vitest';
import { runExchange } from '../../src/http/client.js';
import { pause } from '../helpers/until.js';

describe('runExchange with a signal aborted before it starts', () => {
  it('answers "aborted" and leaves no uncaught error behind (the request it cut emits one)', async () => {
    const uncaught: Error[] = [];
    const onUncaught = (error: Error): void => {
      uncaught.push(error);
    };
    process.on('uncaughtException', onUncaught);
    try {
      const stop = new AbortController();
      stop.abort();
      // Port 1: nothing answers there; the request is cut before it connects anyway.
      const result = await runExchange({ url: 'http://127.0.0.1:1/webhook', method: 'GET', headers: {} }, { signal: stop.signal, timeoutMs: 5000 });
      expect(result).toMatchObject({ requestSent: false, failure: { kind: 'aborted', message: 'interrupted' } });
      // The cut request reports its error on a later turn of the event loop: a window to prove none escapes.
      await new Promise((resolve) => setImmediate(resolve));
      await pause(20);
      expect(uncaught.map((e) => e.message)).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
