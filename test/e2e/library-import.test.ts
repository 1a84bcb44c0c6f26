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
  it('exposes exactly the documented functions and constants', async () => {
    const script = `const api = await import('sendtalk-verify'); console.log(JSON.stringify(Object.keys(api).sort()));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    // The whole public API (etc/sendtalk-verify.api.md lists it with its types; \`npm run api\` guards it).
    expect(JSON.parse(stdout)).toEqual([
      'EXIT_CODES',
      'SendtalkVerifyError',
      'VERSION',
      'checkEndpoint',
      'createVerification',
      'openTunnel',
      'parsePhone',
      'runCreateFlow',
      'runListenFlow',
      'sendEvent',
      'startEmulator',
      'startListener',
    ]);
  });

  it('runs a create against its own emulator; handles close twice without complaint', async () => {
    const script = `
      import { createVerification, startListener, startEmulator, runCreateFlow, SendtalkVerifyError } from 'sendtalk-verify';
      const listener = await startListener({ secret: 's3cret-value' });
      const emulator = await startEmulator({ apiKey: 'k', secret: 's3cret-value', webhookUrl: listener.url, autoVerifyMs: 0 });
      const v = await createVerification({ apiUrl: emulator.url, apiKey: 'k', phone: '+62 812-3456-7890' });
      const delivery = await listener.waitFor((d) => d.verificationId === v.id);
      let category;
      try { await createVerification({ apiUrl: emulator.url, apiKey: 'wrong', phone: '6281234567890' }); } catch (e) { category = e instanceof SendtalkVerifyError && e.category; }
      await emulator.close(); await emulator.close(); await listener.close(); await listener.close();
      const sandbox = await runCreateFlow({ phone: '6281234567890', sandbox: true, sandboxDelayMs: 0, tunnel: 'auto' });
      console.log(JSON.stringify({ id: v.id === delivery.verificationId, secretCheck: delivery.secretCheck, category, sandbox: [sandbox.status, sandbox.tunnel ?? 'local'] }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    // The sandbox delivers on this machine: whatever tunnel is asked for, none is opened.
    expect(JSON.parse(stdout)).toEqual({ id: true, secretCheck: 'ok', category: 'api-rejected', sandbox: ['verified', 'local'] });
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
    const args = [
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--types',
      'node',
      'test/fixtures/library-consumer.ts',
    ];
    const result = await run(process.execPath, [tsc, ...args], { cwd: root }).then(
      () => 'ok',
      (e: { stdout: string }) => e.stdout,
    );
    expect(result).toBe('ok');
  });
});
