/** The few colours the CLI draws with: each wraps a string, or returns it unchanged when colours are off. */
export interface Colours {
  readonly enabled: boolean;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

type ChalkModule = typeof import('chalk');

/** chalk, once `loadColours` has run: never before a command runs, so `--help` does not load it. */
let chalkModule: ChalkModule | undefined;

/** Loads chalk. The command layer awaits it before a command runs; until then there are no colours. */
export async function loadColours(): Promise<void> {
  chalkModule ??= await import('chalk');
}

/**
 * Colours for one of the CLI's streams, through chalk: it reads whether that stream is a terminal,
 * FORCE_COLOR and its levels, TERM and Windows terminals. NO_COLOR (https://no-color.org), which
 * chalk does not read, turns them off whatever else says. Plain text until `loadColours` has run.
 */
export function streamColours(stream: 'stdout' | 'stderr', env: Record<string, string | undefined> = process.env): Colours {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  const support = stream === 'stderr' ? chalkModule?.supportsColorStderr : chalkModule?.supportsColor;
  const detected = support ? support.level : 0;
  // chalk knows that GitHub Actions renders colour, but only believes it on a terminal; its log is a
  // pipe. That is for progress on stderr: stdout carries results that programs read and files keep,
  // so off a terminal only FORCE_COLOR colours it, there as everywhere. FORCE_COLOR, when set, decides.
  const actionsLog = stream === 'stderr' && env.GITHUB_ACTIONS === 'true' && env.FORCE_COLOR === undefined;
  const level = noColor ? 0 : actionsLog ? 3 : detected;
  if (!chalkModule || level === 0) return PLAIN;
  const chalk = new chalkModule.Chalk({ level });
  return {
    enabled: true,
    green: (text) => chalk.green(text),
    red: (text) => chalk.red(text),
    yellow: (text) => chalk.yellow(text),
    dim: (text) => chalk.dim(text),
    bold: (text) => chalk.bold(text),
  };
}

const same = (text: string): string => text;
export const PLAIN: Colours = { enabled: false, green: same, red: same, yellow: same, dim: same, bold: same };

/** Aligns `label  value` rows for the human output blocks. */
export function keyValueRows(rows: ReadonlyArray<[string, string | undefined]>, indent = 2): string {
  const present = rows.filter((row): row is [string, string] => row[1] !== undefined && row[1] !== '');
  const width = Math.max(...present.map(([label]) => label.length));
  return present.map(([label, value]) => `${' '.repeat(indent)}${label.padEnd(width)}  ${value}`).join('\n');
}
