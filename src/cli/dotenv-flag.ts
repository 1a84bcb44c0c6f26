import type { Option } from 'commander';
import { pathOption } from './parse-flags.js';

/** The flags that name another `.env` file. */
export interface DotenvFlags {
  dotenv?: string;
  envFile?: string;
}

/** `--dotenv PATH`: the spelling that works on every Node. */
export function dotenvOption(): Option {
  return pathOption('--dotenv <path>', 'read configuration from this .env file instead of ./.env');
}

/**
 * `--env-file PATH`, kept (hidden) for where it still reaches us: Node 20 claims `--env-file`
 * anywhere on its command line, even after the script name (nodejs/node#54232), and exits 9 before
 * the tool starts when that file is missing. When the file exists, Node leaves it to us.
 */
export function envFileOption(): Option {
  return pathOption('--env-file <path>', 'the same as --dotenv, where Node leaves it to this tool').hideHelp();
}

/** The .env file the flags name, if any: `--dotenv` wins. */
export function dotenvPath(flags: DotenvFlags): string | undefined {
  return flags.dotenv ?? flags.envFile;
}
