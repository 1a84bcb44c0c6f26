import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

// Imports the package by its name, through package.json "exports", the way a user's project does
// (Node resolves a package's own name from inside it).
describe('the library, imported by name', () => {
  it('exposes the documented functions and runs a create against its own emulator', async () => {
    const script = `
      import { createVerification, startListener, openTunnel, startEmulator, checkSecret, SendtalkVerifyError } from 'sendtalk-verify';
      const kinds = [createVerification, startListener, openTunnel, startEmulator, checkSecret].map((f) => typeof f);
      const listener = await startListener({ secret: 's3cret-value' });
      const emulator = await startEmulator({ apiKey: 'k', secret: 's3cret-value', webhookUrl: listener.url, autoVerifyMs: 0 });
      const v = await createVerification({ apiUrl: emulator.url, apiKey: 'k', phone: '+62 812-3456-7890' });
      const delivery = await listener.waitFor((d) => d.verificationId === v.id);
      let category;
      try { await createVerification({ apiUrl: emulator.url, apiKey: 'wrong', phone: '6281234567890' }); } catch (e) { category = e instanceof SendtalkVerifyError && e.category; }
      await emulator.close(); await listener.close();
      console.log(JSON.stringify({ kinds, id: v.id === delivery.verificationId, secret: checkSecret('x', 'y'), category }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({ kinds: ['function', 'function', 'function', 'function', 'function'], id: true, secret: 'mismatch', category: 'api-rejected' });
  });

  it('type-checks a TypeScript consumer against the shipped declarations', async () => {
    const tsc = `${root}/node_modules/typescript/bin/tsc`;
    const args = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', 'test/fixtures/library-consumer.ts'];
    const result = await run(process.execPath, [tsc, ...args], { cwd: root }).then(() => 'ok', (e: { stdout: string }) => e.stdout);
    expect(result).toBe('ok');
  });
});
