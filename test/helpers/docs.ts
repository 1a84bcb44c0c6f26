import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root: the docs tests read its Markdown and its sources as they are checked in. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** README.md and every docs/*.md, as paths relative to the root. */
export function docFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort();
  return ['README.md', ...docs.map((name) => `docs/${name}`)];
}

export function readDoc(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8');
}

export interface Fence {
  lang: string;
  lines: string[];
  startLine: number;
}

/** The fenced code blocks of a Markdown text, with their info string's first word. */
export function fences(markdown: string): Fence[] {
  const out: Fence[] = [];
  let open: Fence | undefined;
  markdown.split('\n').forEach((line, i) => {
    const marker = /^\s*```(\S*)/.exec(line);
    if (marker && !open) open = { lang: marker[1] ?? '', lines: [], startLine: i + 1 };
    else if (marker && open) {
      out.push(open);
      open = undefined;
    } else open?.lines.push(line);
  });
  return out;
}

/** Markdown with the fenced blocks and inline code spans blanked, so links and headings inside code are not read as such. */
export function prose(markdown: string): string {
  let inFence = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*```/.test(line)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : line.replace(/`[^`]*`/g, '``');
    })
    .join('\n');
}

/** A command line of the docs: where it is, and the words after the program's name. */
export interface DocCommand {
  file: string;
  line: number;
  text: string;
  args: string[];
}

const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console', 'yaml', 'yml']);
/** The program as the docs spell it: the bin, `bin/sendtalk-verify.js`, or a packed tarball. */
const PROGRAM = /^sendtalk-verify(?:\.js|-\d+\.\d+\.\d+\.tgz)?$/;
const OPERATORS = new Set(['&&', '||', '|', ';', '&', '>', '>>', '<', '2>&1']);

/**
 * Every invocation of the tool in the shell blocks of a Markdown file (`sh`, `console` lines that
 * start with `$ `, and `run:` lines of YAML). Words are split as a shell would (quotes kept
 * together); an invocation ends at a shell operator, a comment or a closing `)`. A bare name with
 * nothing after it (`npm install sendtalk-verify`) is a package name, not a command.
 */
export function commandsIn(file: string, markdown: string): DocCommand[] {
  const found: DocCommand[] = [];
  for (const fence of fences(markdown)) {
    if (!SHELL_LANGS.has(fence.lang)) continue;
    const joined = joinContinuations(fence.lines);
    joined.forEach(({ text, offset }) => {
      let line = text;
      if (fence.lang === 'console') {
        if (!line.startsWith('$ ')) return;
        line = line.slice(2);
      }
      if (fence.lang === 'yaml' || fence.lang === 'yml') {
        const run = /^\s*(?:-\s*)?run:\s*(.*)$/.exec(line);
        if (!run) return;
        line = run[1] ?? '';
      }
      const words = shellWords(line);
      words.forEach((word, i) => {
        const name = word.replace(/^.*[/(]/, '');
        if (!PROGRAM.test(name)) return;
        const args: string[] = [];
        for (const next of words.slice(i + 1)) {
          if (OPERATORS.has(next)) break;
          if (next.endsWith(')') && !next.startsWith('(')) {
            args.push(next.slice(0, -1));
            break;
          }
          args.push(next);
        }
        if (args.length > 0) found.push({ file, line: fence.startLine + offset + 1, text: line.trim(), args });
      });
    });
  }
  return found;
}

function joinContinuations(lines: string[]): Array<{ text: string; offset: number }> {
  const out: Array<{ text: string; offset: number }> = [];
  let pending: { text: string; offset: number } | undefined;
  lines.forEach((line, offset) => {
    const current = pending ? { text: `${pending.text} ${line.trim()}`, offset: pending.offset } : { text: line, offset };
    if (/\\\s*$/.test(current.text)) pending = { text: current.text.replace(/\\\s*$/, ''), offset: current.offset };
    else {
      out.push(current);
      pending = undefined;
    }
  });
  if (pending) out.push(pending);
  return out;
}

/** Shell words: whitespace splits, quotes group (and are removed), a `#` that starts a word starts a comment. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let inWord = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '#' && !inWord) {
      break;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** The options a `--help` text lists under "Options:" (long and short forms). */
export function helpOptions(help: string): Set<string> {
  const options = new Set<string>();
  const section = /\nOptions:\n([\s\S]*?)(?:\n\S|\n\n|$)/.exec(help)?.[1] ?? '';
  for (const line of section.split('\n')) {
    const head = /^ {2}(-\w)?(?:, )?(--[\w-]+)?/.exec(line);
    if (head?.[1]) options.add(head[1]);
    if (head?.[2]) options.add(head[2]);
  }
  return options;
}

/** The commands a top-level `--help` lists under "Commands:". */
export function helpCommands(help: string): Set<string> {
  const section = /\nCommands:\n([\s\S]*?)(?:\n\S|\n\n|$)/.exec(help)?.[1] ?? '';
  return new Set([...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!));
}

/**
 * GitHub's anchor for each heading of a Markdown text: lower case, punctuation dropped, spaces to
 * hyphens, and `-1`, `-2`… for repeats.
 */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  return out;
}
