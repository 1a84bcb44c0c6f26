import { afterEach, describe, expect, it } from 'vitest';
import { openTunnel } from '../../src/tunnel/open-tunnel.js';
import type { TunnelHandle } from '../../src/tunnel/types.js';
import { startListener, type Delivery, type ListenerHandle } from '../../src/webhook/listener.js';
import { LocaltunnelServer, sendThrough } from '../helpers/localtunnel-server.js';

/**
 * The tunnel closes as soon as the 200 to the verified delivery has been passed on through it —
 * no guessed pause — and the sender still gets its 200 (not a gateway error, which would make
 * SendTalk deliver again).
 */
let server: LocaltunnelServer | undefined;
let listener: ListenerHandle | undefined;
let tunnel: TunnelHandle | undefined;
afterEach(async () => {
  await tunnel?.close();
  await listener?.close();
  await server?.stop();
});

describe('closing the tunnel right after the answer', () => {
  it('lets the 200 reach the sender when closed once answered() and flush() resolve', async () => {
    server = new LocaltunnelServer();
    await server.start();
    let closedAfter: Promise<void> | undefined;
    listener = await startListener({
      trackAnswers: true,
      onDelivery: (d: Delivery) => {
        // The verified delivery: close the tunnel the moment its answer has been passed on.
        closedAfter = (async () => {
          await listener!.answered(d);
          await tunnel!.flush(2000);
          await tunnel!.close();
        })();
      },
    });
    tunnel = await openTunnel({ port: listener.port, host: server.url });
    for (let i = 0; i < 5; i++) {
      const res = await sendThrough(`${tunnel.url}/webhook`, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ verificationID: `v-${i}` }),
      });
      expect(res.status).toBe(200);
      await closedAfter;
      tunnel = await openTunnel({ port: listener.port, host: server.url });
    }
  });
});
