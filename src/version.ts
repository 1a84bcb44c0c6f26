import { readFileSync } from 'node:fs';

/** Replaced by the build (esbuild `define`) with the version from package.json; absent when running src/. */
declare const __SENDTALK_VERSION__: string | undefined;

/** The package version: fixed at build time, else read once from package.json (one directory above `src/`). */
export const VERSION: string =
  typeof __SENDTALK_VERSION__ === 'string'
    ? __SENDTALK_VERSION__
    : (() => {
        try {
          const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
          return pkg.version ?? '0.0.0';
        } catch {
          return '0.0.0';
        }
      })();

export const USER_AGENT = `sendtalk-verify/${VERSION}`;
