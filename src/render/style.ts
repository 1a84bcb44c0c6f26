/** The few colours the CLI draws with: each wraps a string, or returns it unchanged when colours are off. */
export interface Colours {
  readonly enabled: boolean;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

/**
 * Colours for stderr: off when NO_COLOR is set (https://no-color.org); FORCE_COLOR turns them on
 * (`0` or `false` off) even off a terminal; otherwise on when stderr is a terminal other than
 * TERM=dumb. Only the 16 basic ANSI colours are used, so there is no colour depth to detect — and
 * no colour library to load before the first line is printed.
 */
export function stderrColours(env: Record<string, string | undefined> = process.env, isTTY = Boolean(process.stderr.isTTY)): Colours {
  return colours(coloursWanted(env, isTTY));
}

function coloursWanted(env: Record<string, string | undefined>, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTTY && env.TERM !== 'dumb';
}

/** ANSI SGR open/close pairs; closing with the specific code (not a reset) lets styles nest. */
function colours(enabled: boolean): Colours {
  const style = (open: number, close: number) => (text: string): string => {
    if (!enabled || text === '') return text;
    const end = `\u001b[${close}m`;
    // Re-open after any inner close of the same kind, so `dim(\`a ${dim('b')} c\`)` stays dim.
    return `\u001b[${open}m${text.replaceAll(end, `${end}\u001b[${open}m`)}${end}`;
  };
  return {
    enabled,
    green: style(32, 39),
    red: style(31, 39),
    yellow: style(33, 39),
    dim: style(2, 22),
    bold: style(1, 22),
  };
}

/** Aligns `label  value` rows for the human output blocks. */
export function keyValueRows(rows: ReadonlyArray<[string, string | undefined]>, indent = 2): string {
  const present = rows.filter((row): row is [string, string] => row[1] !== undefined && row[1] !== '');
  const width = Math.max(...present.map(([label]) => label.length));
  return present.map(([label, value]) => `${' '.repeat(indent)}${label.padEnd(width)}  ${value}`).join('\n');
}
