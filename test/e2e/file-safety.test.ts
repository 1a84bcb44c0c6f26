import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runCli, startCli, waitForOutput } from '../helpers/cli.js';

/**
 * Every path the CLI reads or writes (issue 22): anything but a regular file is refused with exit 2
 * and named (a FIFO, a character device, a directory, a symlink to one), nothing it did not make is
 * replaced or deleted, temporary files cannot be redirected by a link planted at a predictable name,
 * and no read can block or fill memory. FIFOs and device nodes are made here, under a temporary
 * folder of this test, never under /dev.
 */
const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'file-safety-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const folder = (): string => mkdtempSync(join(root, `${++n}-`));
const fifo = (dir: string, name = 'node.fifo'): string => {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return path;
};
/** A character device like /dev/null (1,3): harmless to read, and destroyed if replaced. */
const charDevice = (dir: string): string => {
  const path = join(dir, 'device');
  execFileSync('mknod', [path, 'c', '1', '3']);
  return path;
};
const asRoot = process.getuid?.() === 0;
const BOUND = { killAfterMs: 8000, env: { SENDTALK_SANDBOX_DELAY: '0' } };

describe.concurrent('files it writes', () => {
  it.runIf(asRoot)('create --qr-file refuses a character device (exit 2) and leaves the node as it was', async () => {
    const device = charDevice(folder());
    const r = await runCli(['create', '--sandbox', '--qr-file', device], BOUND);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`The QR code file ${device} is a character device; --qr-file needs a regular file.`);
    expect(statSync(device).isCharacterDevice()).toBe(true);
  });

  it('create --qr-file refuses a FIFO and a symlink to one, and says which', async () => {
    const dir = folder();
    const node = fifo(dir, 'qr.svg');
    const link = join(dir, 'link.svg');
    symlinkSync(node, link);
    const [direct, linked] = await Promise.all([node, link].map((path) => runCli(['create', '--sandbox', '--qr-file', path], BOUND)));
    expect(direct!.code, direct!.stderr).toBe(2);
    expect(direct!.stderr).toContain(`The QR code file ${node} is a FIFO;`);
    expect(linked!.code, linked!.stderr).toBe(2);
    expect(linked!.stderr).toContain(`The QR code file ${link} is a symlink to a FIFO;`);
    expect(statSync(node).isFIFO()).toBe(true);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('a link planted at the old temporary name of --qr-file (.<name>.<pid>.tmp) is not followed', async () => {
    const dir = folder();
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    // `exec` keeps the shell's pid, so the name can be planted before the CLI starts.
    const script = `ln -s victim ".code.svg.$$.tmp"; exec env SENDTALK_SANDBOX_DELAY=0 "${process.execPath}" "${BIN}" create --sandbox --qr-file code.svg`;
    await run('bash', ['-c', script], { cwd: dir, env: cleanEnv(), timeout: 15_000 });
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(join(dir, 'code.svg')).isFile()).toBe(true);
    expect(readFileSync(join(dir, 'code.svg'), 'utf8')).toMatch(/^<svg /);
    // Our file, the victim and the planted link: no temporary file left behind.
    expect(
      readdirSync(dir)
        .filter((name) => !lstatSync(join(dir, name)).isSymbolicLink())
        .sort(),
    ).toEqual(['code.svg', 'victim']);
  });

  it('a link planted at the old temporary name of --ready-file (<path>.<pid>.tmp) is not followed', async () => {
    const dir = folder();
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    const script = `ln -s victim "emulator.ready.$$.tmp"; exec "${process.execPath}" "${BIN}" emulator --port 0 --ready-file emulator.ready`;
    const child = spawn('bash', ['-c', script], { cwd: dir, env: cleanEnv(), stdio: 'ignore' });
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    try {
      await waitForOutput(
        () => (existsSync(join(dir, 'emulator.ready')) ? readFileSync(join(dir, 'emulator.ready'), 'utf8') : ''),
        /^http:\/\/127\.0\.0\.1:\d+\n$/,
      );
      expect(readFileSync(victim, 'utf8')).toBe('precious\n');
      expect(lstatSync(join(dir, 'emulator.ready')).isFile()).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
      clearTimeout(killer);
    }
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('emulator --ready-file refuses an existing file it did not write, and leaves it as it was', async () => {
    const file = join(folder(), 'notes.txt');
    writeFileSync(file, 'my notes, not a URL\n');
    const r = await runCli(['emulator', '--port', '0', '--ready-file', file], BOUND);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`The ready file ${file} already exists and is not a ready file; it is left as it is.`);
    expect(readFileSync(file, 'utf8')).toBe('my notes, not a URL\n');
  });

  it('emulator --ready-file on a directory is a usage error (exit 2), not an unexpected one', async () => {
    const dir = folder();
    const r = await runCli(['emulator', '--port', '0', '--ready-file', dir], BOUND);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`The ready file ${dir} is a directory; --ready-file needs a regular file.`);
  });

  it('emulator --ready-file replaces an empty file, and leaves at exit a file that changed since it wrote it', async () => {
    const file = join(folder(), 'emulator.ready');
    writeFileSync(file, '');
    const emulator = startCli(['emulator', '--port', '0', '--ready-file', file], { killAfterMs: 15_000 });
    await waitForOutput(emulator.stdout, /listening on/);
    await waitForOutput(() => (existsSync(file) ? readFileSync(file, 'utf8') : ''), /^http:\/\/127\.0\.0\.1:\d+\n$/);
    writeFileSync(file, 'someone else wrote this\n');
    emulator.child.kill('SIGTERM');
    expect((await emulator.done).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('someone else wrote this\n');
  });

  it('listen --log removes the log it created when the run fails before its first record', async () => {
    const dir = folder();
    const log = join(dir, 'deliveries.ndjson');
    // Nothing listens on port 1: the tunnel cannot open (exit 6).
    const r = await runCli(['listen', '--tunnel', 'localtunnel', '--log', log, '--max-events', '1'], {
      env: { SENDTALK_TUNNEL_TIMEOUT: '1s', SENDTALK_TUNNEL_HOST: 'http://127.0.0.1:1' },
      killAfterMs: 12_000,
    });
    expect(r.code, r.stderr).toBe(6);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("listen --log '' is a usage error (exit 2)", async () => {
    const r = await runCli(['listen', '--tunnel', 'none', '--log', '', '--timeout', '2s'], BOUND);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('--log needs a path');
  });
});

describe.concurrent('files it reads', () => {
  it('--dotenv on a FIFO is refused at once (exit 2), not a silent hang', async () => {
    const node = fifo(folder());
    const r = await runCli(['doctor', '--dotenv', node], BOUND);
    expect(r.signal, 'killed by the test: it hung').toBeNull();
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`The env file ${node} is a FIFO; --dotenv needs a regular file.`);
  });

  it.runIf(asRoot)('--dotenv on a character device is refused (exit 2)', async () => {
    const device = charDevice(folder());
    const r = await runCli(['doctor', '--dotenv', device], BOUND);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`The env file ${device} is a character device;`);
  });

  it('--dotenv larger than 1 MiB is refused and the error says the bound', async () => {
    const file = join(folder(), 'big.env');
    writeFileSync(file, `# ${'x'.repeat(1024 * 1024)}\nSENDTALK_API_KEY=k\n`);
    const r = await runCli(['doctor', '--dotenv', file], BOUND);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`The env file ${file} is larger than 1 MiB, the most --dotenv reads.`);
  });

  it('trigger --payload and --replay on a FIFO are refused at once (exit 2)', async () => {
    const dir = folder();
    const node = fifo(dir);
    const [payload, replay] = await Promise.all([
      runCli(['trigger', '--url', 'http://127.0.0.1:1/webhook', '--payload', node], BOUND),
      runCli(['trigger', '--url', 'http://127.0.0.1:1/webhook', '--replay', node], BOUND),
    ]);
    expect(payload.signal, 'killed by the test: it hung').toBeNull();
    expect(payload.code, payload.stderr).toBe(2);
    expect(payload.stderr).toContain(`The payload file ${node} is a FIFO; --payload needs a regular file.`);
    expect(replay.signal, 'killed by the test: it hung').toBeNull();
    expect(replay.code, replay.stderr).toBe(2);
    expect(replay.stderr).toContain(`The log file ${node} is a FIFO; --replay needs a regular file.`);
  });

  it('trigger --payload larger than 1 MiB is refused before anything is sent', async () => {
    const file = join(folder(), 'big.json');
    writeFileSync(file, JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }));
    const r = await runCli(['trigger', '--url', 'http://127.0.0.1:1/webhook', '--payload', file], BOUND);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`The payload file ${file} is larger than 1 MiB, the most --payload reads.`);
  });

  it('wait on a FIFO ends within its time-out, and says what the path is', async () => {
    const node = fifo(folder());
    const started = Date.now();
    const r = await runCli(['wait', node, '--timeout', '2s'], BOUND);
    expect(r.signal, 'killed by the test: it kept running past its time-out').toBeNull();
    expect(Date.now() - started).toBeLessThan(4000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`The ready file ${node} is a FIFO; wait needs a regular file.`);
  });
});
