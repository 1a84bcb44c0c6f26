import { pick, type ConfigSource, type ConfigSources } from '../config.js';
import { parseDuration, parseTimeout } from '../duration.js';
import { SendtalkVerifyError } from '../errors.js';
import { httpUrl } from '../http/url.js';

/** Where a configured value came from, in the words an error shows: the flag, the variable, or the file. */
export function sourceOf(source: ConfigSource, flag: string, envName: string, sources: ConfigSources): string {
  switch (source) {
    case 'flag':
      return flag;
    case 'env':
      return `${envName} (environment)`;
    case 'dotenv':
      return `${envName} (in ${sources.dotenvPath ?? '.env'})`;
    default:
      return flag;
  }
}

/**
 * The SendTalk API base URL, checked before anything starts. The error names where a bad value came
 * from, so a stale line in `.env` is found; the whole endpoint URL (what the docs show) gets advice
 * to pass the base URL, rather than a "Not found" from the API later.
 */
export function checkApiUrl(picked: { value: string | undefined; source: ConfigSource }, sources: ConfigSources, envName: string): URL | undefined {
  if (picked.value === undefined) return undefined;
  const where = sourceOf(picked.source, '--api-url', envName, sources);
  const fix = picked.source === 'flag' ? '--api-url' : envName;
  const url = httpUrl(picked.value);
  if (!url) {
    throw new SendtalkVerifyError('usage', `${where} "${picked.value}" is not an http(s) URL.`, {
      hint: `Set ${fix} to the API base URL, e.g. https://sendtalk-api.taptalk.io (or http://127.0.0.1:4010 for the emulator).`,
    });
  }
  const endpoint = /\/api\/v\d+(\/.*)?$/.exec(url.pathname);
  if (endpoint) {
    const base = `${url.origin}${url.pathname.slice(0, endpoint.index)}`;
    throw new SendtalkVerifyError('usage', `${where} "${picked.value}" is an endpoint's URL, not the API base URL.`, {
      hint: `Set ${fix} to the base URL only: ${base} (the tool adds /api/v1/…).`,
    });
  }
  return url;
}

/**
 * Runs a check of a configured value and, when it fails, says where the value came from: a stale
 * line in `.env` or a forgotten variable is otherwise hard to find.
 */
export function fromSource<T>(check: () => T, picked: { source: ConfigSource }, flag: string, envName: string, sources: ConfigSources): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof SendtalkVerifyError) || picked.source === 'flag' || picked.source === 'default') throw error;
    throw new SendtalkVerifyError(error.category, `${sourceOf(picked.source, flag, envName, sources)}: ${error.message}`, {
      hint: error.hint,
      code: error.code,
      field: error.field,
      cause: error,
    });
  }
}

/**
 * A setting with no flag, read from the environment over `.env` (the rarely needed ones: docs/cli.md
 * lists them), and checked by `check`, whose error then names where the value came from.
 */
export function envSetting<T>(name: string, sources: ConfigSources, check: (value: string) => T): T | undefined {
  const picked = pick(undefined, name, sources);
  if (picked.value === undefined) return undefined;
  const value = picked.value;
  return fromSource(() => check(value), picked, name, name, sources);
}

/** A duration setting with no flag, e.g. SENDTALK_TUNNEL_TIMEOUT=30s; a time-out must be longer than 0, a delay may be 0. */
export function envDuration(name: string, sources: ConfigSources, kind: 'timeout' | 'delay'): number | undefined {
  const picked = pick(undefined, name, sources);
  if (picked.value === undefined) return undefined;
  const where = sourceOf(picked.source, name, name, sources);
  return kind === 'timeout' ? parseTimeout(picked.value, where, `Set ${name} to a duration, e.g. 30s.`) : parseDuration(picked.value, where);
}

/** A yes/no setting with no flag, e.g. SENDTALK_LOG_FSYNC=1. */
export function envSwitch(name: string, sources: ConfigSources): boolean {
  return (
    envSetting(name, sources, (value) => {
      if (/^(1|true|yes|on)$/i.test(value.trim())) return true;
      if (/^(0|false|no|off)$/i.test(value.trim())) return false;
      throw new SendtalkVerifyError('usage', `"${value}" is neither 1 nor 0.`, { hint: `Set ${name}=1 to turn it on, or leave it unset.` });
    }) ?? false
  );
}
