import { execFile } from 'node:child_process';
import { builtinModules } from 'node:module';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv } from '../helpers/cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

interface PackResult {
  filename: string;
  files: Array<{ path: string }>;
}

/**
 * What `npm publish` would ship, and what `npx sendtalk-verify` then installs: the tarball is packed
 * from the built dist/ (scripts off, so this never rebuilds dist/ under other tests), installed
 * offline into an empty directory outside this repository, and run from there.
 */
describe('the published package', () => {
  let work: string;
  let packed: PackResult;
  let app: string;
  let installLog: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sendtalk-pack-'));
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root });
    packed = (JSON.parse(stdout) as PackResult[])[0]!;
    app = join(work, 'app');
    // Installed the way a user installs it, scripts allowed: npm has nothing to warn about.
    const install = await run('npm', ['install', '--prefix', app, join(work, packed.filename), '--offline', '--no-audit', '--no-fund'], {
      cwd: work,
      env: cleanEnv(),
    });
    installLog = install.stdout + install.stderr;
  }, 60_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('ships the bin, the built code, its types and the licences of what is bundled; no sources or tests', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'package.json',
        'bin/sendtalk-verify.js',
        'bin/package.json',
        'dist/cli.cjs',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/THIRD-PARTY-LICENSES',
        'LICENSE',
        'CHANGELOG.md',
        'README.md',
      ]),
    );
    expect(paths.filter((p) => p.startsWith('dist/vendor/'))).not.toHaveLength(0);
    expect(paths.filter((p) => /^(src|test|\.ci)\//.test(p) || p.endsWith('.map') || (p.endsWith('.ts') && !p.endsWith('.d.ts')))).toEqual([]);
    // Only what the build writes: no JavaScript left over from a plain `tsc` run.
    expect(paths.filter((p) => p.startsWith('dist/') && /\.(c?js)$/.test(p))).toEqual(
      expect.arrayContaining(['dist/cli.cjs', 'dist/core.cjs', 'dist/index.js']),
    );
    expect(paths.filter((p) => p.startsWith('dist/') && /\.(c?js)$/.test(p) && !/^dist\/(cli\.cjs|core\.cjs|index\.js|vendor\/[^/]+\.cjs)$/.test(p))).toEqual(
      [],
    );
  });

  it('ships the types of the public API as one file, without what is tagged @internal', async () => {
    const declarations = packed.files.map((f) => f.path).filter((p) => p.endsWith('.d.ts'));
    expect(declarations).toEqual(['dist/index.d.ts']);
    const types = await readFile(join(app, 'node_modules/sendtalk-verify/dist/index.d.ts'), 'utf8');
    expect(types).toMatch(/export declare function runCreateFlow\(/);
    // Rolled up: nothing left to import from another file of the package.
    expect(types).not.toMatch(/from '\.\.?\//);
    expect(types).not.toMatch(/^\s*server: Server;/m);
  });

  it('ships the MIT licence that package.json names', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { license: string; scripts: Record<string, string> };
    expect(pkg.license).toBe('MIT');
    const licence = await readFile(join(app, 'node_modules/sendtalk-verify/LICENSE'), 'utf8');
    expect(licence).toMatch(/^MIT License/);
    expect(licence).toContain('Permission is hereby granted');
  });

  it('installs without a warning: no install-time script', async () => {
    expect(installLog).not.toMatch(/warn/i);
    const pkg = JSON.parse(await readFile(join(app, 'node_modules/sendtalk-verify/package.json'), 'utf8')) as { scripts?: Record<string, string> };
    expect(Object.keys(pkg.scripts ?? {}).filter((name) => /^(pre|post)?install$|^prepare$/.test(name))).toEqual([]);
  });

  it('takes --dotenv, before or after the command, through the installed bin', async () => {
    const bin = join(app, 'node_modules/.bin/sendtalk-verify');
    const missing = await run(bin, ['create', '--sandbox', '--dotenv', join(work, 'nowhere.env')], { cwd: work, env: cleanEnv() }).catch(
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(missing).toMatchObject({ code: 2 });
    expect((missing as { stderr: string }).stderr).toContain(`The env file ${join(work, 'nowhere.env')} does not exist.`);
    const file = join(work, 'ci.env');
    await writeFile(file, '\uFEFFSENDTALK_WEBHOOK_SECRET=from-the-file\n');
    // A program-wide option: commander reads it anywhere on the command line.
    for (const [flag, argv] of [
      ['--dotenv', ['doctor', '--dotenv', file]],
      ['--dotenv=', ['doctor', `--dotenv=${file}`]],
      ['--dotenv first', ['--dotenv', file, 'doctor']],
    ] as const) {
      const doctor = await run(bin, [...argv, '--api-url', 'http://127.0.0.1:9', '--tunnel', 'none', '--json'], { cwd: work, env: cleanEnv() }).catch(
        (error: { stdout: string }) => error,
      );
      const secretRow = (JSON.parse((doctor as { stdout: string }).stdout) as { checks: Array<{ id: string; status: string; detail: string }> }).checks.find(
        (c) => c.id === 'secret',
      );
      expect(secretRow, flag).toMatchObject({ status: 'pass' });
      expect(secretRow!.detail, flag).toContain('.env');
    }
  });

  it('declares no runtime dependency, and installs as one package', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.optionalDependencies ?? {}).toEqual({});
    expect(pkg.peerDependencies ?? {}).toEqual({});
    const lock = JSON.parse(await readFile(join(app, 'node_modules/.package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    expect(Object.keys(lock.packages)).toEqual(['node_modules/sendtalk-verify']);
  });

  it('names every bundled package in THIRD-PARTY-LICENSES, with its licence text', async () => {
    const text = await readFile(join(app, 'node_modules/sendtalk-verify/dist/THIRD-PARTY-LICENSES'), 'utf8');
    for (const name of ['commander', 'localtunnel', 'ora', 'qrcode-terminal', 'libphonenumber-js']) {
      expect(text).toMatch(new RegExp(`^- ${name}@\\d`, 'm'));
    }
    // Left out on purpose (see SUBSTITUTES in scripts/build.mjs): the tunnel registers by itself;
    // and the HTTP client is node:http (see src/http/client.ts).
    expect(text).not.toMatch(/^- (axios|form-data|mime-db|undici)@/m);
    expect(text).toContain('Permission is hereby granted');
    expect(text).toContain('Apache License');
  });

  it('ships each module of src/ once: the CLI and the library share the core', async () => {
    // The build keeps our identifiers: a class and a function of the core, and one of the command
    // layer, are each defined in one file only.
    const dir = join(app, 'node_modules/sendtalk-verify');
    const files = packed.files.map((f) => f.path).filter((p) => /\.(c?js)$/.test(p));
    const holding = async (text: string): Promise<string[]> => {
      const found: string[] = [];
      for (const file of files) if ((await readFile(join(dir, file), 'utf8')).includes(text)) found.push(file);
      return found;
    };
    expect(await holding('SendtalkVerifyError=class ')).toHaveLength(1);
    expect(await holding('function startEmulator(')).toEqual(['dist/core.cjs']);
    expect(await holding('function buildProgram(')).toEqual(['dist/cli.cjs']);
  });

  it('requires nothing but Node itself and its own files', async () => {
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    // debug (inside localtunnel) tries supports-color in a try/catch and does without it.
    const optional = new Set(['supports-color']);
    const dir = join(app, 'node_modules/sendtalk-verify');
    const files = packed.files.map((f) => f.path).filter((p) => /\.(c?js)$/.test(p));
    const foreign: string[] = [];
    for (const file of files) {
      const code = await readFile(join(dir, file), 'utf8');
      for (const [, specifier] of code.matchAll(/(?:\brequire\(|\bimport\(|\bfrom\s*)["']([@a-z0-9][\w./:@-]*)["']/g)) {
        // node: modules newer than this Node count as Node's own.
        const own = builtins.has(specifier!) || specifier!.startsWith('node:');
        if (!own && !optional.has(specifier!)) foreign.push(`${file}: ${specifier}`);
      }
    }
    expect(foreign).toEqual([]);
  });

  it("type-checks a consumer against the installed types, with the library's checks on (no skipLibCheck)", async () => {
    const dir = join(app, 'consumer');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          module: 'node16',
          moduleResolution: 'node16',
          target: 'es2022',
          types: ['node'],
          typeRoots: [join(root, 'node_modules/@types')],
        },
        files: ['consumer.mts'],
      }),
    );
    await writeFile(
      join(dir, 'consumer.mts'),
      `
      import { parsePhone, startListener, type CreateResult, type Delivery } from 'sendtalk-verify';
      const phone: ReturnType<typeof parsePhone> = parsePhone('+62 812-3456-7890');
      const country: string | undefined = phone.country;
      // @ts-expect-error a country is a string: were it any (a type that did not resolve), this line would pass.
      const wrong: number = phone.country;
      const listener = await startListener({ secret: 's' });
      const onDelivery = (d: Delivery): 'ok' | 'skipped' | undefined => d.secretCheck;
      const status: CreateResult['status'] = 'not-verified';
      console.log(country, wrong, listener.url, onDelivery, status);
    `,
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const checked = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir }).catch((error: { stdout: string }) => error);
    expect(checked.stdout).toBe('');
  }, 60_000);

  it('runs the installed CLI and library with no other package installed', async () => {
    const env = cleanEnv();
    const bin = join(app, 'node_modules/.bin/sendtalk-verify');
    const version = await run(bin, ['--version'], { cwd: work, env });
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);

    const create = await run(bin, ['create', '--sandbox', '--phone', '+62 812-3456-7890', '--json'], {
      env: { ...env, SENDTALK_SANDBOX_DELAY: '0' },
      cwd: work,
    });
    expect(JSON.parse(create.stdout)).toMatchObject({ status: 'verified', phone: '6281234567890', sandbox: true });

    const script = `
      const { startEmulator, startListener, createVerification, VERSION } = await import('sendtalk-verify');
      const listener = await startListener({ secret: 's3cret-value' });
      const emulator = await startEmulator({ apiKey: 'k', secret: 's3cret-value', webhookUrl: listener.url, autoVerifyMs: 0 });
      const v = await createVerification({ apiUrl: emulator.url, apiKey: 'k', phone: '6281234567890' });
      const d = await listener.waitFor((x) => x.verificationId === v.id);
      await emulator.close(); await listener.close();
      console.log(JSON.stringify({ version: VERSION, matched: d.verificationId === v.id }));
    `;
    const library = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app, env });
    expect(JSON.parse(library.stdout)).toEqual({ version: pkg.version, matched: true });

    // The lazily loaded dependencies (tunnel, spinner, QR code, …) load from the installed files too.
    const vendor = packed.files.map((f) => f.path).filter((p) => p.startsWith('dist/vendor/'));
    expect(vendor.filter((p) => !p.endsWith('.cjs'))).toEqual([]);
    const loads = `const at = (f) => './node_modules/sendtalk-verify/' + f;
      console.log(JSON.stringify(${JSON.stringify(vendor)}.map((f) => typeof require(at(f)))))`;
    const loaded = await run(process.execPath, ['-e', loads], { cwd: app, env });
    expect(JSON.parse(loaded.stdout)).toEqual(vendor.map(() => expect.stringMatching(/^(object|function)$/)));
  });
});
