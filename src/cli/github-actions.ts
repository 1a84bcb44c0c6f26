import { appendFileSync } from 'node:fs';
import type { Output } from './output.js';

/**
 * GitHub Actions, natively: a Markdown step summary and `::error::` annotations. Both go through
 * the command's Output masking, so a secret that reached a message is masked there too. The
 * annotations go to stderr (the runner reads workflow commands from both streams), so that
 * stdout stays the `--json` document.
 */
export interface GithubActions {
  /** Appends Markdown to `$GITHUB_STEP_SUMMARY` (nothing when the variable is unset). */
  summary(markdown: string): void;
  /** An `::error::` annotation: shown on the run's page and in the pull request. */
  error(message: string, title?: string): void;
}

/** The GitHub Actions reporter when running there (`GITHUB_ACTIONS=true`), else undefined. */
export function githubActions(output: Output, env: Record<string, string | undefined> = process.env): GithubActions | undefined {
  if (env.GITHUB_ACTIONS !== 'true') return undefined;
  const summaryFile = env.GITHUB_STEP_SUMMARY;
  return {
    summary(markdown) {
      if (!summaryFile) return;
      try {
        appendFileSync(summaryFile, `${output.mask(markdown).trimEnd()}\n\n`);
      } catch (error) {
        output.warn(`Could not write the step summary (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
      }
    },
    error(message, title) {
      const properties = title === undefined ? '' : ` title=${escapeProperty(output.mask(title))}`;
      output.errorStream.write(`::error${properties}::${escapeData(output.mask(message))}\n`);
    },
  };
}

/** Workflow-command data: `%`, CR and LF would end or corrupt the command. */
export function escapeData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** Workflow-command property values: also `:` and `,`, which separate properties. */
export function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

/** A Markdown table; `|` and line breaks in cells would break its rows. */
export function markdownTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const cell = (text: string): string => text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replace(/\r?\n/g, ' ');
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Inline code in Markdown that survives backticks in the text. */
export function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${fence === '``' ? ' ' : ''}${text}${fence === '``' ? ' ' : ''}${fence}`;
}
