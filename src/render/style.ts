import { Chalk, supportsColorStderr, type ChalkInstance } from 'chalk';

/**
 * Colours for stderr: off when NO_COLOR is set (https://no-color.org), off when stderr is not a
 * terminal unless FORCE_COLOR asks for them.
 */
export function stderrColours(env: Record<string, string | undefined> = process.env, isTTY = Boolean(process.stderr.isTTY)): ChalkInstance {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return new Chalk({ level: 0 });
  if (env.FORCE_COLOR !== undefined) return new Chalk({ level: supportsColorStderr ? supportsColorStderr.level : 1 });
  if (!isTTY) return new Chalk({ level: 0 });
  return new Chalk({ level: supportsColorStderr ? supportsColorStderr.level : 1 });
}

/** Aligns `label  value` rows for the human output blocks. */
export function keyValueRows(rows: ReadonlyArray<[string, string | undefined]>, indent = 2): string {
  const present = rows.filter((row): row is [string, string] => row[1] !== undefined && row[1] !== '');
  const width = Math.max(...present.map(([label]) => label.length));
  return present.map(([label, value]) => `${' '.repeat(indent)}${label.padEnd(width)}  ${value}`).join('\n');
}
