import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { SendtalkVerifyError } from './errors.js';
import { FILE_ERROR, READ_LIMITS, readRegularFileSync } from './safe-file.js';
import { configuredSecret } from './webhook/secret.js';

/** Environment variables the tool reads, each also accepted from a `.env` file. */
export const ENV_VARS = {
  apiKey: 'SENDTALK_API_KEY',
  apiUrl: 'SENDTALK_API_URL',
  secret: 'SENDTALK_WEBHOOK_SECRET',
  tunnelHost: 'SENDTALK_TUNNEL_HOST',
  subdomain: 'SENDTALK_SUBDOMAIN',
  /** How long opening the tunnel may take (create, listen, doctor); default 20s. */
  tunnelTimeout: 'SENDTALK_TUNNEL_TIMEOUT',
  /** The one header the listener takes the secret from (create, listen, doctor), and the one trigger and the emulator send it in. */
  secretHeader: 'SENDTALK_SECRET_HEADER',
  /** The webhook listener's address (create, listen); default 127.0.0.1. */
  listenHost: 'SENDTALK_LISTEN_HOST',
  /** The webhook listener's path (create, listen); default /webhook. */
  webhookPath: 'SENDTALK_WEBHOOK_PATH',
  /** create's link back to the app, put in the WhatsApp message. */
  appUrl: 'SENDTALK_APP_URL',
  /** create's bound on the API call, retries included; default 25s. */
  apiTimeout: 'SENDTALK_API_TIMEOUT',
  /** create --sandbox: how long after creating the emulator delivers; default 2s. */
  sandboxDelay: 'SENDTALK_SANDBOX_DELAY',
  /** trigger's bound on each request; default 10s. */
  requestTimeout: 'SENDTALK_REQUEST_TIMEOUT',
  /** listen --log: 1 makes each record durable before it is acknowledged. */
  logFsync: 'SENDTALK_LOG_FSYNC',
  /** create's QR code, in words: always or never, dark or light, sextants or half-blocks. */
  qr: 'SENDTALK_QR',
  /** cloudflared's own convention for a binary not on PATH; not ours to prefix. */
  cloudflaredBin: 'CLOUDFLARED_BIN',
} as const;

export type ConfigSource = 'flag' | 'env' | 'dotenv' | 'default';

export interface ConfigSources {
  env: Readonly<Record<string, string | undefined>>;
  dotenv: Readonly<Record<string, string>>;
  /** The .env file that was read, if any. */
  dotenvPath?: string;
}

const DOTENV_ROLE = { flag: '--dotenv', noun: 'the env file', hint: 'Pass --dotenv a regular .env file of KEY=value lines, or remove the one in this folder.' };

/**
 * Reads `.env` from the working directory (or `explicitPath`) without touching `process.env`.
 * A missing default file is fine; a missing explicit one is a usage error.
 */
export function loadConfigSources(options: { cwd?: string; envFile?: string; env?: Record<string, string | undefined> } = {}): ConfigSources {
  const env = options.env ?? process.env;
  const path = resolve(options.cwd ?? process.cwd(), options.envFile ?? '.env');
  let text: string;
  try {
    text = readRegularFileSync(path, DOTENV_ROLE, READ_LIMITS.dotenv).toString('utf8');
  } catch (error) {
    // A missing default file is fine; a missing file the user named is not.
    if (error instanceof SendtalkVerifyError && error.code === FILE_ERROR.missing) {
      if (!options.envFile) return { env, dotenv: {} };
      throw new SendtalkVerifyError('usage', `The env file ${options.envFile} does not exist.`, { hint: 'Check the path given to --dotenv.' });
    }
    throw error;
  }
  // Editors on Windows save a UTF-8 byte-order mark, which would become part of the first name.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  return { env, dotenv: parseEnv(text) as Record<string, string>, dotenvPath: path };
}

/**
 * The webhook secret, flag over environment over `.env`. Empty counts as not set, whatever its
 * source (`--secret ""` included): the one rule of `configuredSecret`, applied where it is read.
 */
export function pickSecret(flag: string | undefined, sources: ConfigSources): { value: string | undefined; source: ConfigSource } {
  const picked = pick(flag, ENV_VARS.secret, sources);
  const value = configuredSecret(picked.value);
  return { value, source: value === undefined ? 'default' : picked.source };
}

/** Flag over environment over `.env` over default: the one rule, written once. */
export function pick<T extends string | undefined>(
  flag: string | undefined,
  envName: string | undefined,
  sources: ConfigSources,
  fallback?: T,
): { value: string | T; source: ConfigSource } {
  if (flag !== undefined) return { value: flag, source: 'flag' };
  if (envName) {
    const fromEnv = sources.env[envName];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: 'env' };
    const fromFile = sources.dotenv[envName];
    if (fromFile !== undefined && fromFile !== '') return { value: fromFile, source: 'dotenv' };
  }
  return { value: fallback as T, source: 'default' };
}
