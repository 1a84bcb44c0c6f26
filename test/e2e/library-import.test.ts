import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';

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

  it('lets the process end after openTunnel fails: nothing keeps polling the tunnel server', async () => {
    const port = await freePort();
    const script = `
      import { openTunnel } from 'sendtalk-verify';
      const started = Date.now();
      const exitCode = await openTunnel({ port: 1, host: 'http://127.0.0.1:${port}', registrationTimeoutMs: 600 }).then(() => 0, (e) => e.exitCode);
      process.on('exit', () => console.log(JSON.stringify({ exitCode, ms: Date.now() - started })));
    `;
    // execFile's timeout kills a process that lingers: it would fail with a signal, not exit 0.
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root, timeout: 8000 });
    const result = JSON.parse(stdout) as { exitCode: number; ms: number };
    expect(result.exitCode).toBe(6);
    expect(result.ms).toBeLessThan(5000);
  });

  it('type-checks a TypeScript consumer against the shipped declarations', async () => {
    const tsc = `${root}/node_modules/typescript/bin/tsc`;
    const args = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', 'test/fixtures/library-consumer.ts'];
    const result = await run(process.execPath, [tsc, ...args], { cwd: root }).then(() => 'ok', (e: { stdout: string }) => e.stdout);
    expect(result).toBe('ok');
  });
});
