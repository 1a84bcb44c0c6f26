import { describe, expect, it } from 'vitest';
import { CREATE_PATH } from '../../src/client/create-verification.js';
import { startEmulator } from '../../src/emulator/emulator.js';
import { SendtalkVerifyError } from '../../src/errors.js';
import { isListening } from '../helpers/ports.js';
import { TimesOutEndpoint } from '../helpers/webhook-endpoints.js';

describe('the emulator handle', () => {
  it('closes safely twice and frees its port', async () => {
    const e = await startEmulator();
    expect(await isListening(e.port)).toBe(true);
    await Promise.all([e.close(), e.close()]);
    await e.close();
    expect(await isListening(e.port)).toBe(false);
  });

  it('refuses to verify an unknown id with a usage error', async () => {
    const e = await startEmulator();
    try {
      await expect(e.verify('nope')).rejects.toBeInstanceOf(SendtalkVerifyError);
    } finally {
      await e.close();
    }
  });

  it('verifies without a webhook URL: the status changes, nothing is sent', async () => {
    const e = await startEmulator({ autoVerifyMs: false });
    try {
      const res = await fetch(`${e.url}${CREATE_PATH}`, { method: 'POST', headers: { 'API-Key': 'k' }, body: '{"userPhone":"6281234567890"}' });
      const id = ((await res.json()) as any).data.verificationID as string;
      expect(await e.verify(id)).toBeUndefined();
      expect(e.verifications.get(id)).toMatchObject({ status: 'verified', verifiedAt: expect.any(String) });
      expect(e.webhooks).toEqual([]);
    } finally {
      await e.close();
    }
  });

  it('ends an in-flight delivery to an endpoint that never answers when it closes', async () => {
    const stuck = await new TimesOutEndpoint('s').start();
    const e = await startEmulator({ autoVerifyMs: false, webhookUrl: stuck.url, webhookTimeoutMs: 60_000 });
    try {
      const res = await fetch(`${e.url}${CREATE_PATH}`, { method: 'POST', headers: { 'API-Key': 'k' }, body: '{"userPhone":"6281234567890"}' });
      const id = ((await res.json()) as any).data.verificationID as string;
      const delivery = e.verify(id);
      await expect.poll(() => stuck.requests.length).toBe(1);
      await e.close();
      const last = await delivery;
      expect(last?.error).toBe('interrupted');
      expect(e.webhooks[0]!.state).toBe('failed');
    } finally {
      await e.close();
      await stuck.stop();
    }
  });
});
