import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SendtalkVerifyError } from '../../src/errors.js';
import { openTunnel } from '../../src/tunnel/open-tunnel.js';
import { LocaltunnelServer } from '../helpers/localtunnel-server.js';
import { freePort } from '../helpers/ports.js';
import { pause } from '../helpers/until.js';

let server: LocaltunnelServer;

beforeEach(async () => {
  server = new LocaltunnelServer();
  await server.start();
});

afterEach(async () => {
  await server.stop();
});

async function openFails(host: string): Promise<SendtalkVerifyError> {
  const error = await openTunnel({ port: 1, host, registrationTimeoutMs: 800 }).then(
    () => {
      throw new Error('the tunnel opened');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SendtalkVerifyError);
  return error as SendtalkVerifyError;
}

/**
 * A registration given up on must stop: localtunnel's own loop would poll the server every second
 * forever (and keep a library user's process alive). Once the server answers again, over two of
 * those seconds pass without a new registration request.
 */
async function noRegistrationAfterGivingUp(): Promise<void> {
  server.mode = 'normal';
  const seen = server.registrations.length;
  await pause(2500);
  expect(server.registrations.slice(seen)).toEqual([]);
  expect(server.clientIds).toEqual([]);
}

describe('when the tunnel cannot be opened', () => {
  it('fails in bounded time when the server never answers the registration', async () => {
    server.mode = 'hang';
    const error = await openFails(server.url);
    expect(error.exitCode).toBe(6);
    expect(error.message).toMatch(/did not register one within 800 ms \(no answer within 500 ms\)/);
    expect(error.hint).toMatch(/SENDTALK_TUNNEL_HOST/);
    expect(error.hint).toMatch(/--tunnel URL/);
    expect(server.registrations.length).toBeGreaterThan(0);
    await server.restart(); // ends the hanging request, as a server coming back would
    await noRegistrationAfterGivingUp();
  });

  it('says what the server answered when it refuses registrations', async () => {
    server.mode = 'refuse';
    const error = await openFails(server.url);
    expect(error.message).toContain('HTTP 503: tunnel server is refusing new clients (test)');
    // Retried meanwhile, once a second, as localtunnel does.
    expect(server.registrations.length).toBeGreaterThanOrEqual(1);
    await noRegistrationAfterGivingUp();
  });

  it('says the server is unreachable when nothing listens there', async () => {
    const port = await freePort();
    const error = await openFails(`http://localhost:${port}`);
    expect(error.message).toContain('connection refused');
    expect(error.details).toMatchObject({ tunnelHost: `http://localhost:${port}` });
    // A server appearing there later hears nothing from the registration given up on.
    await server.stop();
    server = new LocaltunnelServer({ port });
    await server.start();
    await noRegistrationAfterGivingUp();
  });
});
