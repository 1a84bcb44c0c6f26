import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The shape the code keeps (issue 14): files with one job (at most 300 lines), functions short
 * enough to read at once (at most 80 lines, a closure counted with all it nests), and no import
 * cycle under src/. Data (tables, page markup) is exempt where listed, with why.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const src = join(root, 'src');
const MAX_FILE_LINES = 300;
const MAX_FUNCTION_LINES = 80;
/** Files that are data, not logic: the length is the content. */
const DATA_FILES = new Set<string>([]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(?:ts|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const files = sourceFiles(src).map((path) => {
  const text = readFileSync(path, 'utf8');
  return { path, name: relative(root, path), text, ast: ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true) };
});

const lineOf = (ast: ts.SourceFile, pos: number): number => ast.getLineAndCharacterOfPosition(pos).line + 1;

function longFunctions(ast: ts.SourceFile, name: string): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const lines = lineOf(ast, node.getEnd()) - lineOf(ast, node.getStart()) + 1;
      const label = node.name?.getText(ast) ?? '(anonymous)';
      if (lines > MAX_FUNCTION_LINES) found.push(`${name}:${lineOf(ast, node.getStart())} ${label} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(ast);
  return found;
}

/** Relative imports (type-only ones too: a cycle of types still ties two modules together). */
function importsOf(file: (typeof files)[number]): string[] {
  const out: string[] = [];
  for (const statement of file.ast.statements) {
    if ((ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
      const spec = statement.moduleSpecifier.text;
      if (spec.startsWith('.')) out.push(resolve(dirname(file.path), spec).replace(/\.js$/, '.ts'));
    }
  }
  return out;
}

function cycles(): string[] {
  const graph = new Map(files.map((f) => [f.path, importsOf(f)]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push(stack.slice(stack.indexOf(next)).concat(next).map((p) => relative(src, p)).join(' → '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe('the shape of src/', () => {
  it('reads the whole tree (the checks below look at something)', () => {
    expect(files.map((f) => f.name)).toEqual(expect.arrayContaining(['src/index.ts', 'src/webhook/listener.ts', 'src/cli/main.ts']));
  });

  it(`has no file over ${MAX_FILE_LINES} lines`, () => {
    const long = files.filter((f) => !DATA_FILES.has(f.name)).map((f) => ({ name: f.name, lines: f.text.split('\n').length })).filter((f) => f.lines > MAX_FILE_LINES);
    expect(long).toEqual([]);
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    expect(files.filter((f) => !DATA_FILES.has(f.name)).flatMap((f) => longFunctions(f.ast, f.name))).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cycles()).toEqual([]);
  });
});
