import { EXIT_CODES } from '../errors.js';
import { ENV_VARS } from '../config.js';

export function exitCodeHelp(): string {
  const rows = EXIT_CODES.map(({ code, meaning }) => `  ${String(code).padEnd(4)} ${meaning}`);
  return `\nExit codes:\n${rows.join('\n')}\n`;
}

export function envHelp(): string {
  return `\nEnvironment (flags win over the environment, which wins over ./.env):
  ${ENV_VARS.apiKey.padEnd(24)} API key (--api-key)
  ${ENV_VARS.secret.padEnd(24)} webhook secret from Verification Config (--secret)
  ${ENV_VARS.apiUrl.padEnd(24)} API base URL (--api-url)
  NO_COLOR                 turn colours off
`;
}

export function examples(lines: ReadonlyArray<[string, string]>): string {
  return `\nExamples:\n${lines.map(([cmd, what]) => `  $ ${cmd}\n      ${what}`).join('\n')}\n`;
}
