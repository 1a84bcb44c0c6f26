// Builds dist/. Run by `npm run build` (which `npm test`, `npm run bench` and `prepack` run first;
// `npm ci` runs no build script of ours); a plain Node script, not compiled by tsc and not shipped.
//
//   dist/index.d.ts             the public API's types in one file: tsc's declarations (which also
//                               type-checks src/) rolled up by API Extractor (see scripts/api.mjs)
//   dist/cli.cjs                what the CLI needs to start: commander and the modules of src/ that
//                               src/cli/main.ts imports statically (loaded by bin/sendtalk-verify.js)
//   dist/core.cjs               every other module of src/ (the flows, the views, the emulator…), and
//                               the library's names
//   dist/index.js               the library's entry (ES module): src/index.ts's names, from core.cjs
//   dist/vendor/*.cjs           the large dependencies, one self-contained file each, loaded on first use
//   dist/THIRD-PARTY-LICENSES   the licence of every package bundled into the files above
//
// Why this shape (measured with `npm run bench`, see test/bench/ and docs/performance.md):
// - Every runtime dependency is bundled, so `npx sendtalk-verify` installs this one package.
// - Each module of src/ is in one file only, so the CLI and the library ship one copy of the core
//   (see `splitCore`). The files are CommonJS: Node starts a CommonJS entry without its ES module
//   loader, and the library's ES module entry imports core.cjs's names, which Node reads off
//   esbuild's CommonJS output.
// - `--help` parses every byte of what it loads, so what it loads is only what it runs: the command
//   layer's registration of the commands, commander, and what they import. The flows, the views,
//   the emulator, the tunnels and the page (core.cjs) load when a command runs; so do the
//   dependencies of dist/vendor/.
// - Node's own modules are loaded on first use in the CLI (see `lazyBuiltins`): `--help` never
//   needs node:crypto, node:http or node:child_process.
// - localtunnel's client class, ora, qrcode-terminal, open, chalk and libphonenumber-js are each a
//   file of dist/vendor/ that src/ require()s when it first imports the package.
// - Some modules of those packages are replaced by a few lines (see SUBSTITUTES): localtunnel's axios
//   among them, since src/tunnel registers tunnels itself; axios is not shipped.
// Files an earlier build wrote and this one did not are removed at the end, not at the start, so
// that a test run elsewhere in this tree keeps a complete dist/ for as long as possible.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeMetafile, build } from 'esbuild';
import { publicDeclarations } from './api.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const started = Date.now();

/**
 * The dependencies that live in dist/vendor/, by the specifier src/ imports them with, and what
 * their file exports: the value a CommonJS require() of the package gives; for ES-module-only
 * packages imported for their default export, that default; for libphonenumber-js, only the
 * functions src/ imports (an ES module, so esbuild leaves out the rest: half the file).
 */
const VENDOR = {
  // Only its client class: src/tunnel registers by itself and hands the server's answer to it.
  'localtunnel/lib/Tunnel': { file: 'localtunnel.cjs', entry: () => "module.exports = require('localtunnel/lib/Tunnel');" },
  ora: { file: 'ora.cjs', entry: () => "module.exports = require('ora').default;" },
  // Its own file, though small: a command loads it when it runs, `--help` never (test/e2e/colours.test.ts
  // checks that by this file's name). src/render/style.ts uses the named exports, not the default.
  chalk: { file: 'chalk.cjs', entry: () => "export * from 'chalk';" },
  // Only its QR model: src/render draws the modules itself (colours, quiet zone, width).
  'qrcode-terminal/vendor/QRCode/index.js': { file: 'qrcode-terminal.cjs', entry: () => "module.exports = require('qrcode-terminal/vendor/QRCode/index.js');" },
  open: { file: 'open.cjs', entry: () => "module.exports = require('open').default;" },
  'libphonenumber-js/max': {
    file: 'libphonenumber-js-max.cjs',
    entry: () => `export { ${namedImports('libphonenumber-js/max').join(', ')} } from 'libphonenumber-js/max';`,
  },
};

/**
 * Modules of the vendored packages replaced in dist/vendor/ by a few lines (see `vendorSubstitutes`),
 * by the path esbuild resolves them to.
 * - localtunnel uses axios only to register, and src/tunnel/localtunnel-session.ts registers by
 *   itself (so that a registration given up on stops): axios, with follow-redirects, form-data and
 *   its 130 KB MIME table, was over two thirds of the tunnel's file.
 * - ora ships 90 spinners; `create` draws ora's default (`dots`, or `line` where the terminal has no
 *   Unicode), so only those two are kept, taken from the package's own table at build time.
 */
const SUBSTITUTES = {
  'node_modules/cli-spinners/spinners.json': { keep: ['dots', 'line'] },
  'node_modules/axios/index.js': {
    contents: "module.exports = { get() { throw new Error('sendtalk-verify does not bundle axios: it registers tunnels itself.'); } };",
  },
};

/**
 * The files src/ is built into, all CommonJS: every module of src/ is in exactly one of them, and a
 * module imported from another file is read from that file's `__modules` (see `coreBoundary`).
 */
const CORE_FILES = {
  // What `--help` and `--version` load: commander and every module of src/ that src/cli/main.ts
  // reaches by static imports (the views and the flows, imported when a command runs, are not
  // among them). One file: a second file to open costs start-up more than its bytes would.
  'cli.cjs': "export * from './src/cli/main.ts';",
  // The rest of the core, with the library's names (src/index.ts): what a command loads when it
  // runs, and what `import … from 'sendtalk-verify'` loads (with the core's modules of cli.cjs).
  'core.cjs': "export * from './src/index.ts';",
};

/** Node modules the CLI loads on first use rather than at start-up; see `lazyBuiltins`. */
const LAZY_BUILTINS = [
  'child_process',
  'crypto',
  'dgram',
  'dns',
  'fs/promises',
  'http',
  'https',
  'net',
  'os',
  'readline',
  'readline/promises',
  'timers/promises',
  'tls',
  'tty',
  'v8',
  'zlib',
];

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20.18',
  // Whitespace and syntax only: identifiers stay, so `--debug` stack traces still name functions.
  minifyWhitespace: true,
  minifySyntax: true,
  // The licences are collected into THIRD-PARTY-LICENSES instead.
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  // src/version.ts reads package.json (through import.meta.url) only when this is not defined.
  define: { __SENDTALK_VERSION__: JSON.stringify(pkg.version) },
};

mkdirSync(dist, { recursive: true });
const before = listFiles(dist);

// 1. Declarations (and the type check).
const written = new Set(publicDeclarations());

// 2. JavaScript: which module of src/ goes into which file (see `splitCore`), then the files.
const layout = await splitCore();
const builds = await Promise.all([
  build({
    ...common,
    entryPoints: Object.fromEntries(Object.entries(VENDOR).map(([specifier, { file }]) => [file.replace(/\.cjs$/, ''), `vendor-entry:${specifier}`])),
    outdir: 'dist/vendor',
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    // Third-party code is shipped fully minified (a third smaller); our own code keeps its names.
    minifyIdentifiers: true,
    plugins: [vendorEntries(), vendorSubstitutes()],
  }),
  ...Object.keys(CORE_FILES).map((file) =>
    build({
      ...common,
      entryPoints: { [file.replace(/\.cjs$/, '')]: `core-entry:${file}` },
      outdir: 'dist',
      outExtension: { '.js': '.cjs' },
      format: 'cjs',
      plugins: [coreEntries(layout), coreBoundary(layout, file), vendorShims('./vendor/'), ...(file === 'cli.cjs' ? [lazyBuiltins()] : [])],
    }),
  ),
  // The library's entry: src/index.ts itself, each of its imports turned into one of core.cjs, whose
  // names Node's ES module loader reads off esbuild's CommonJS output. So the public names are those
  // src/index.ts exports, and nothing else of core.cjs.
  build({
    ...common,
    entryPoints: { index: 'src/index.ts' },
    outdir: 'dist',
    format: 'esm',
    plugins: [libraryEntry()],
  }),
]);
for (const { metafile } of builds) for (const file of Object.keys(metafile.outputs)) written.add(join(root, file));
// BUILD_ANALYZE=1 npm run build: what each output file is made of.
if (process.env.BUILD_ANALYZE) for (const { metafile } of builds) console.error(await analyzeMetafile(metafile));

// 3. Licences of the bundled packages.
const packages = bundledPackages(builds.map((b) => b.metafile));
const licences = join(dist, 'THIRD-PARTY-LICENSES');
writeFileSync(licences, licenceText(packages));
written.add(licences);

// 4. Whatever an earlier build left behind (tsc's .js files, renamed outputs).
for (const file of before) if (!written.has(file)) rmSync(file, { force: true });
removeEmptyDirs(dist);

const size = [...written].reduce((sum, file) => sum + statSync(file).size, 0);
console.error(`build: dist/ ${(size / 1024).toFixed(0)} KiB in ${written.size} files, ${packages.length} bundled packages, ${Date.now() - started} ms`);

/**
 * Which file of CORE_FILES each module of src/ goes into, from the import graph of the CLI and the
 * library (one esbuild pass that writes nothing): the modules src/cli/main.ts reaches by static
 * imports into cli.cjs, the rest into core.cjs. `exposed` lists, for each file, the modules another
 * file imports from it.
 * Why: `--help` parses every byte of the files it loads, and most of src/ (the flows, the views,
 * the emulator, the tunnels, the page) is needed only once a command runs, or by the library.
 */
async function splitCore() {
  const { metafile } = await build({
    ...common,
    entryPoints: ['src/cli/main.ts', 'src/index.ts'],
    outdir: 'dist',
    format: 'esm',
    write: false,
    plugins: [vendorShims('./vendor/')],
  });
  const inputs = metafile.inputs;
  const ours = (path) => path.startsWith('src/');
  const startUp = new Set();
  for (const queue = ['src/cli/main.ts']; queue.length > 0; ) {
    const path = queue.pop();
    if (startUp.has(path)) continue;
    startUp.add(path);
    for (const { path: next, kind } of inputs[path].imports) if (ours(next) && kind !== 'dynamic-import') queue.push(next);
  }
  const fileOf = (path) => (!ours(path) ? undefined : startUp.has(path) ? 'cli.cjs' : 'core.cjs');
  const exposed = Object.fromEntries(Object.keys(CORE_FILES).map((file) => [file, new Set()]));
  for (const [path, { imports }] of Object.entries(inputs)) {
    if (!ours(path)) continue;
    for (const { path: imported } of imports) {
      if (!ours(imported) || fileOf(imported) === fileOf(path)) continue;
      if (imported.startsWith('src/cli/') && !path.startsWith('src/cli/'))
        throw new Error(`build: ${path} imports ${imported}: the core must not import the command layer`);
      exposed[fileOf(imported)].add(imported);
    }
  }
  return { fileOf, exposed };
}

/**
 * The entry of cli.cjs and core.cjs: `__modules`, the namespace of each module another file imports
 * from this one (by its path in the repository), then what CORE_FILES says the file exports.
 */
function coreEntries(layout) {
  return {
    name: 'core-entries',
    setup(b) {
      b.onResolve({ filter: /^core-entry:/ }, (args) => ({ path: args.path.slice('core-entry:'.length), namespace: 'core-entry' }));
      b.onLoad({ filter: /.*/, namespace: 'core-entry' }, (args) => {
        const modules = [...layout.exposed[args.path]].sort();
        const lines = modules.map((path, i) => `import * as m${i} from ${JSON.stringify(`./${path}`)};`);
        lines.push(`export const __modules = { ${modules.map((path, i) => `${JSON.stringify(path)}: m${i}`).join(', ')} };`);
        lines.push(CORE_FILES[args.path]);
        return { contents: lines.join('\n'), loader: 'js', resolveDir: root };
      });
    },
  };
}

/**
 * In the build of `file`, an import of a module of src/ that another file holds becomes a require()
 * of that file, run when the importing module is first run: core.cjs's modules read cli.cjs's (the
 * CLI has loaded it already; the library loads it when core.cjs starts), and a dynamic import of a
 * flow or a view loads core.cjs when the command runs. So each module of src/ is in the package once, and classes (SendtalkVerifyError) are one.
 */
function coreBoundary(layout, file) {
  return {
    name: 'core-boundary',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, async (args) => {
        if (args.pluginData?.coreBoundary || (args.namespace !== 'file' && args.namespace !== 'core-entry')) return undefined;
        const resolved = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: { coreBoundary: true },
        });
        if (resolved.errors.length > 0) return undefined;
        const path = relative(root, resolved.path).split(sep).join('/');
        const owner = layout.fileOf(path);
        if (owner === undefined || owner === file) return undefined;
        if (!layout.exposed[owner].has(path)) throw new Error(`build: ${path} is imported from ${file} but ${owner} does not expose it`);
        return { path, namespace: 'core-shim', pluginData: owner };
      });
      b.onLoad({ filter: /.*/, namespace: 'core-shim' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(`./${args.pluginData}`)}).__modules[${JSON.stringify(args.path)}];`,
        loader: 'js',
      }));
      b.onResolve({ filter: /.*/, namespace: 'core-shim' }, (args) => ({ path: args.path, external: true }));
    },
  };
}

/** dist/index.js: src/index.ts with each of its imports made one of ./core.cjs (see the build above). */
function libraryEntry() {
  const index = join(root, 'src/index.ts');
  return {
    name: 'library-entry',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => (args.importer === index ? { path: './core.cjs', external: true } : undefined));
    },
  };
}

/** The entry points of dist/vendor/: `vendor-entry:ora` is `VENDOR.ora.entry`. */
function vendorEntries() {
  return {
    name: 'vendor-entries',
    setup(b) {
      b.onResolve({ filter: /^vendor-entry:/ }, (args) => ({ path: args.path.slice('vendor-entry:'.length), namespace: 'vendor-entry' }));
      b.onLoad({ filter: /.*/, namespace: 'vendor-entry' }, (args) => ({
        contents: VENDOR[args.path].entry(),
        loader: 'js',
        resolveDir: root,
      }));
    },
  };
}

/**
 * Swaps the modules of SUBSTITUTES for what their entries say: a few lines of our own (`contents`),
 * or the named entries of a JSON table (`keep`).
 */
function vendorSubstitutes() {
  const byPath = new Map(Object.entries(SUBSTITUTES).map(([path, substitute]) => [join(root, path), substitute]));
  return {
    name: 'vendor-substitutes',
    setup(b) {
      b.onLoad({ filter: /\.js(on)?$/ }, (args) => {
        const substitute = byPath.get(args.path);
        if (!substitute) return undefined;
        if (substitute.contents) return { contents: substitute.contents, loader: 'js' };
        if (substitute.keep) {
          const table = JSON.parse(readFileSync(args.path, 'utf8'));
          return { contents: JSON.stringify(Object.fromEntries(substitute.keep.map((key) => [key, table[key]]))), loader: 'json' };
        }
        throw new Error(`build: SUBSTITUTES entry for ${args.path} has neither contents nor keep`);
      });
    },
  };
}

/**
 * Replaces each import of a vendored package by a small CommonJS module that requires its file
 * in dist/vendor/ (relative to the output file, which sits in dist/). esbuild's interop gives the
 * importer what it would get from the package: `import('ora')` still has `default`. The require() runs when the importing code first runs.
 */
function vendorShims(prefix) {
  return {
    name: 'vendor-shims',
    setup(b) {
      const specifiers = new RegExp(`^(${Object.keys(VENDOR).map(escapeRegExp).join('|')})$`);
      b.onResolve({ filter: specifiers }, (args) => ({ path: args.path, namespace: 'vendor-shim' }));
      b.onLoad({ filter: /.*/, namespace: 'vendor-shim' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(prefix + VENDOR[args.path].file)});`,
        loader: 'js',
      }));
      b.onResolve({ filter: /.*/, namespace: 'vendor-shim' }, (args) => ({ path: args.path, external: true }));
    },
  };
}

/**
 * Makes the CLI load Node's own modules on first use. An `import { createHash } from 'node:crypto'`
 * in src/ (or commander's `require('node:child_process')`) normally loads the module when the CLI
 * starts, because esbuild hoists every module the CLI imports statically into its one file. Here
 * such an import gets a stand-in whose properties are getters that require() the real module the
 * first time one is read; esbuild reads imported bindings through the module object at each use,
 * so the real module loads when the code first uses it. Only for modules whose exports are a plain
 * object of functions, classes and constants (not a function, like node:events), so that named
 * imports and reads through a default or namespace import behave as with the module itself; only
 * the object's identity differs. The property names are those of the Node that runs the build.
 */
function lazyBuiltins() {
  const requireHere = createRequire(import.meta.url);
  const lazy = new Set(LAZY_BUILTINS.flatMap((name) => [name, `node:${name}`]));
  return {
    name: 'lazy-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.namespace === 'lazy-builtin' || !lazy.has(args.path)) return undefined;
        if (args.kind !== 'import-statement' && args.kind !== 'require-call') return undefined;
        return { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' };
      });
      b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
        const id = `node:${args.path}`;
        const keys = Object.keys(requireHere(id)).filter((key) => key !== 'default');
        return {
          contents: `let real;\nfor (const key of ${JSON.stringify(keys)}) Object.defineProperty(exports, key, { enumerable: true, get: () => (real ??= require(${JSON.stringify(id)}))[key] });\n`,
          loader: 'js',
        };
      });
      b.onResolve({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({ path: args.path, external: true }));
    },
  };
}

/**
 * The value imports (`import { a, type B } from 'x'` gives `a`) that src/ makes from `specifier`,
 * static ones only: import the vendored package that way, or extend its VENDOR entry.
 */
function namedImports(specifier) {
  const names = new Set();
  const statement = new RegExp(`import\\s+(?!type\\s)\\{([^}]*)\\}\\s*from\\s*['"]${escapeRegExp(specifier)}['"]`, 'g');
  for (const file of listFiles(join(root, 'src')).filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(statement)) {
      for (const part of match[1]
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        if (!part.startsWith('type ')) names.add(part.split(/\s+as\s+/)[0]);
      }
    }
  }
  if (names.size === 0) throw new Error(`build: found no import of ${specifier} in src/; update VENDOR in scripts/build.mjs`);
  return [...names].sort();
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}

function removeEmptyDirs(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    removeEmptyDirs(path);
    if (readdirSync(path).length === 0) rmdirSync(path);
  }
}

/** The packages (name, version, licence, directory) of which some code is in an output file. */
function bundledPackages(metafiles) {
  const dirs = new Map();
  for (const metafile of metafiles) {
    for (const output of Object.values(metafile.outputs)) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        if (bytesInOutput === 0) continue;
        if (SUBSTITUTES[input.split(sep).join('/')]?.contents) continue; // our lines, not the package's
        const parts = input.split(/[\\/]/);
        const at = parts.lastIndexOf('node_modules');
        if (at < 0) continue;
        const nameParts = parts[at + 1]?.startsWith('@') ? parts.slice(at + 1, at + 3) : parts.slice(at + 1, at + 2);
        const dir = join(root, ...parts.slice(0, at + 1 + nameParts.length));
        dirs.set(dir, nameParts.join('/'));
      }
    }
  }
  return [...dirs]
    .map(([dir, name]) => {
      const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      return { name, version: meta.version, license: licenceName(meta), dir, repository: repositoryUrl(meta) };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version, undefined, { numeric: true }));
}

function licenceName(meta) {
  if (typeof meta.license === 'string') return meta.license;
  if (meta.license?.type) return meta.license.type;
  if (Array.isArray(meta.licenses)) return meta.licenses.map((l) => l.type ?? l).join(' OR ');
  return 'UNKNOWN';
}

function repositoryUrl(meta) {
  const repo = typeof meta.repository === 'string' ? meta.repository : meta.repository?.url;
  return repo ? String(repo).replace(/^git\+/, '') : undefined;
}

/** LICENSE, LICENCE.md, COPYING, …; and NOTICE, which the Apache licence asks to pass on too. */
function noticeFiles(dir) {
  const names = readdirSync(dir).sort();
  const licence = names.filter((name) => /^(licen[cs]e|copying)(\.|-|$)/i.test(name));
  const notice = names.filter((name) => /^notice(\.|$)/i.test(name));
  return [...licence.slice(0, 1), ...notice].map((name) => join(dir, name));
}

function licenceText(packages) {
  const header =
    `Third-party software bundled in ${pkg.name} ${pkg.version}\n\n` +
    'The files of dist/ contain code of the packages below, bundled by esbuild. The licence of each follows.\n\n' +
    packages.map((p) => `- ${p.name}@${p.version} (${p.license})`).join('\n') +
    '\n';
  const sections = packages.map((p) => {
    const files = noticeFiles(p.dir);
    if (files.length === 0) throw new Error(`build: ${p.name}@${p.version} is bundled but ships no LICENSE file; add its licence text before shipping.`);
    const texts = files.map((file) => `${relative(root, file).split(sep).join('/')}:\n\n${readFileSync(file, 'utf8').trim()}\n`);
    return `${'='.repeat(78)}\n${p.name}@${p.version} — ${p.license}${p.repository ? ` — ${p.repository}` : ''}\n${'-'.repeat(78)}\n${texts.join('\n')}`;
  });
  return `${header}\n${sections.join('\n')}`;
}
