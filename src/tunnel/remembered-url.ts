import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { homedir, hostname, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * The webhook URL that stays put. SendTalk's dashboard holds one Webhook URL, and saving it makes a
 * new secret: a URL that changes between runs costs a trip to the dashboard and a new secret. So a
 * tunnel asks for a subdomain derived from the API key (or, without one, from this machine and
 * directory), and the last public webhook URL is remembered per key, to say when it changed.
 */

/** Whose URL this is: the localtunnel subdomain to ask for, and the key of its entry in the state file. */
export interface UrlIdentity {
  /** e.g. `sendtalk-k3v9q2m7xa`: a short hash, never the key itself. */
  subdomain: string;
  /** The state file's key for this identity (a hash that is not the subdomain's). */
  stateKey: string;
  /** What the hash is of: the API key, or this machine, user and directory. */
  basis: 'api-key' | 'machine';
}

/** Where the state file lives, and whose URL to look up there (`UrlIdentity.stateKey`). */
export interface UrlMemory {
  dir: string;
  key: string;
}

/** How this run's webhook URL compares with the one remembered; `problem` when the state file could not be used. */
export interface RememberedUrlCheck {
  change: 'first' | 'same' | 'changed';
  /** The URL remembered from the last run, with `same` and `changed`. */
  previousWebhookUrl?: string;
  /** Why the state file was not read or written (the run goes on regardless). */
  problem?: string;
}

export const SUBDOMAIN_PREFIX = 'sendtalk-';
const STATE_FILE = 'webhook-urls.json';
/** Enough for every key a developer uses; the oldest entries go first. */
const MAX_ENTRIES = 50;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * The identity of a run: from the API key when there is one, else from this machine, user and
 * working directory (the sandbox, `listen` without a key). Each hash is of its own labelled input,
 * so the public subdomain tells nothing about the state file's key, and neither holds the API key.
 */
export function urlIdentity(apiKey: string | undefined, place: { host: string; user: string; cwd: string } = thisPlace()): UrlIdentity {
  const material = apiKey ? `api-key\0${apiKey}` : `machine\0${place.host}\0${place.user}\0${place.cwd}`;
  const digest = (label: string): Buffer => createHash('sha256').update(`sendtalk-verify/${label}\0${material}`).digest();
  return {
    subdomain: `${SUBDOMAIN_PREFIX}${base32(digest('subdomain')).slice(0, 10)}`,
    stateKey: digest('state').toString('hex').slice(0, 32),
    basis: apiKey ? 'api-key' : 'machine',
  };
}

function thisPlace(): { host: string; user: string; cwd: string } {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (a container running as an arbitrary uid): the environment is the next best name.
    user = process.env.USER ?? process.env.USERNAME ?? '';
  }
  return { host: hostname(), user, cwd: process.cwd() };
}

function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/**
 * The user's configuration directory for this tool: `$XDG_CONFIG_HOME/sendtalk-verify` when that is
 * set (on any system: setting it is the user's word), else `~/.config/…` on Linux,
 * `~/Library/Application Support/…` on macOS, `%APPDATA%\…` on Windows.
 */
export function configDir(
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: NodeJS.Platform = process.platform,
  home = homedir(),
): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG rule: a relative path is to be ignored.
  if (xdg && isAbsolute(xdg)) return join(xdg, 'sendtalk-verify');
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'sendtalk-verify');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'sendtalk-verify');
  return join(home, '.config', 'sendtalk-verify');
}

interface StateEntry {
  webhookUrl: string;
  seenAt: string;
}

/** The state file's entries; a missing file is a first run, anything unreadable a `problem` (never an error). */
async function readState(dir: string): Promise<{ entries: Record<string, StateEntry>; problem?: string }> {
  const path = join(dir, STATE_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { entries: {} };
    return { entries: {}, problem: `could not read ${path} (${code ?? (error as Error).message})` };
  }
  try {
    const parsed = JSON.parse(text) as { urls?: unknown };
    const urls = parsed && typeof parsed === 'object' && parsed.urls && typeof parsed.urls === 'object' ? (parsed.urls as Record<string, unknown>) : undefined;
    if (!urls) throw new Error('no "urls"');
    const entries: Record<string, StateEntry> = {};
    for (const [key, entry] of Object.entries(urls)) {
      const e = entry as Partial<StateEntry> | null;
      // Only what this tool writes is kept: anything else in the file is dropped on the next write.
      if (e && typeof e.webhookUrl === 'string' && /^https?:\/\//.test(e.webhookUrl))
        entries[key] = { webhookUrl: e.webhookUrl, seenAt: String(e.seenAt ?? '') };
    }
    return { entries };
  } catch {
    return { entries: {}, problem: `${path} is not what this tool writes; it will be replaced` };
  }
}

/**
 * Writes the state atomically: a temporary file of unpredictable name, created exclusively (never
 * following a planted link) with mode 0600 in the same directory, then renamed over the old one,
 * so a crash or a concurrent run never leaves half a file.
 */
async function writeState(dir: string, entries: Record<string, StateEntry>): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${STATE_FILE}.${randomBytes(12).toString('hex')}.tmp`);
  const text = `${JSON.stringify({ version: 1, urls: entries }, null, 2)}\n`;
  const file = await open(temp, 'wx', 0o600);
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } catch (error) {
    await file.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw error;
  }
  await file.close();
  await rename(temp, join(dir, STATE_FILE)).catch(async (error: unknown) => {
    await unlink(temp).catch(() => {});
    throw error;
  });
}

/**
 * Compares this run's public webhook URL with the one remembered for `memory.key`, then remembers
 * this one. Never throws: a state file that cannot be read or written is reported as `problem`.
 */
export async function checkAndRemember(memory: UrlMemory, webhookUrl: string): Promise<RememberedUrlCheck> {
  const { entries, problem: readProblem } = await readState(memory.dir);
  const previous = entries[memory.key]?.webhookUrl;
  const change = previous === undefined ? 'first' : previous === webhookUrl ? 'same' : 'changed';
  const writeProblem = await rememberUrl(memory, webhookUrl, entries);
  const problem = [readProblem, writeProblem].filter(Boolean).join('; ');
  return { change, ...(previous !== undefined ? { previousWebhookUrl: previous } : {}), ...(problem ? { problem } : {}) };
}

/** Remembers `webhookUrl` (a tunnel re-opened under another name, say); returns why not, if it could not. */
export async function rememberUrl(memory: UrlMemory, webhookUrl: string, known?: Record<string, StateEntry>): Promise<string | undefined> {
  const entries = known ?? (await readState(memory.dir)).entries;
  if (entries[memory.key]?.webhookUrl === webhookUrl) return undefined;
  const kept = Object.entries(entries)
    .filter(([key]) => key !== memory.key)
    .sort(([, a], [, b]) => b.seenAt.localeCompare(a.seenAt))
    .slice(0, MAX_ENTRIES - 1);
  try {
    await writeState(memory.dir, { ...Object.fromEntries(kept), [memory.key]: { webhookUrl, seenAt: new Date().toISOString() } });
    return undefined;
  } catch (error) {
    return `could not write ${join(memory.dir, STATE_FILE)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
}
