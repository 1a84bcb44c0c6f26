import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { anchors, docFiles, prose, readDoc, ROOT } from '../helpers/docs.js';

/** The front door stays short: the rest of the documentation lives in docs/. */
const README_MAX_BYTES = 16_000;

/** Every `'SENDTALK_…'` string literal of src/: the environment variables the code reads. */
function sourceEnvNames(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/['"`](SENDTALK_[A-Z0-9_]+)['"`]/g)) names.add(m[1]!);
      }
    }
  };
  walk(join(ROOT, 'src'));
  return names;
}

describe('the documentation', () => {
  it(`README.md is at most ${README_MAX_BYTES} bytes`, () => {
    expect(statSync(join(ROOT, 'README.md')).size).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it('every relative link in README.md and docs/ points at a file that exists, and at a heading of it', () => {
    const broken: string[] = [];
    for (const file of docFiles()) {
      const text = readDoc(file);
      for (const m of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/i.test(target)) continue;
        const [path = '', anchor] = target.split('#');
        const resolved = path === '' ? file : normalize(join(dirname(file), path));
        if (!existsSync(join(ROOT, resolved))) {
          broken.push(`${file}: ${target} (no file ${resolved})`);
          continue;
        }
        if (anchor !== undefined && !anchors(readDoc(resolved)).has(anchor)) broken.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('names only SENDTALK_* environment variables the source reads, and the CLI reference names them all', () => {
    const read = sourceEnvNames();
    const named = new Map<string, string>();
    for (const file of docFiles()) {
      for (const m of readDoc(file).matchAll(/\bSENDTALK_[A-Z0-9_]+/g)) if (!named.has(m[0])) named.set(m[0], file);
    }
    const unknown = [...named].filter(([name]) => !read.has(name)).map(([name, file]) => `${name} (${file})`);
    expect(unknown).toEqual([]);
    const cli = readDoc('docs/cli.md');
    expect([...read].filter((name) => !cli.includes(name))).toEqual([]);
  });

  it('the exit-code tables of README.md and docs/cli.md list exactly the codes the CLI has', () => {
    const codes = EXIT_CODES.map((entry) => entry.code);
    for (const file of ['README.md', 'docs/cli.md']) {
      const section = /\n## Exit codes\n([\s\S]*?)(?:\n## |$)/.exec(readDoc(file))?.[1] ?? '';
      const listed = [...section.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
      expect(listed, file).toEqual(codes);
    }
  });
});
