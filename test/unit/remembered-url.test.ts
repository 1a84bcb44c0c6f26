import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkSubdomain } from '../../src/tunnel/tunnel-config.js';
import { checkAndRemember, configDir, rememberUrl, SUBDOMAIN_PREFIX, urlIdentity } from '../../src/tunnel/remembered-url.js';

const KEY = 'st_live_REMEMBER_key_never_in_state_4711';
const place = { host: 'devbox', user: 'ana', cwd: '/home/ana/shop' };
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stv-remembered-'));
  dirs.push(dir);
  return join(dir, 'sendtalk-verify');
}

/** Every 8-character window of `secret`: none may appear in `text`. */
function windowsOf(secret: string): string[] {
  return Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8));
}

describe('the subdomain derived from the API key', () => {
  it('is the same every time, a name tunnel servers accept, and recognisable', () => {
    const id = urlIdentity(KEY, place);
    expect(urlIdentity(KEY, { host: 'other', user: 'bob', cwd: '/x' })).toEqual(id);
    expect(checkSubdomain(id.subdomain)).toBe(id.subdomain);
    expect(id.subdomain).toMatch(new RegExp(`^${SUBDOMAIN_PREFIX}[a-z2-7]{10}$`));
    expect(id.basis).toBe('api-key');
  });

  it('differs between keys, and from the state file key', () => {
    const names = new Set(Array.from({ length: 200 }, (_, i) => urlIdentity(`${KEY}-${i}`).subdomain));
    expect(names.size).toBe(200);
    const id = urlIdentity(KEY);
    expect(id.stateKey).not.toContain(id.subdomain.slice(SUBDOMAIN_PREFIX.length));
  });

  it('never holds the key, nor any 8 characters of it', () => {
    for (const key of [KEY, 'ana12345', 'abcdefghij2345', 'a'.repeat(40)]) {
      const id = urlIdentity(key);
      for (const w of windowsOf(key)) expect(`${id.subdomain} ${id.stateKey}`).not.toContain(w);
    }
  });

  it('without a key, comes from this machine, user and directory', () => {
    const here = urlIdentity(undefined, place);
    expect(here.basis).toBe('machine');
    expect(checkSubdomain(here.subdomain)).toBe(here.subdomain);
    expect(urlIdentity(undefined, place)).toEqual(here);
    expect(urlIdentity(undefined, { ...place, cwd: '/home/ana/blog' }).subdomain).not.toBe(here.subdomain);
    expect(urlIdentity(undefined, { ...place, user: 'bob' }).subdomain).not.toBe(here.subdomain);
    expect(urlIdentity(undefined).subdomain).toBe(urlIdentity(undefined).subdomain);
  });
});

describe('where the state file lives', () => {
  it("follows XDG_CONFIG_HOME, else each system's own place", () => {
    expect(configDir({ XDG_CONFIG_HOME: '/x/conf' }, 'linux', '/home/a')).toBe('/x/conf/sendtalk-verify');
    expect(configDir({ XDG_CONFIG_HOME: 'relative' }, 'linux', '/home/a')).toBe('/home/a/.config/sendtalk-verify');
    expect(configDir({}, 'linux', '/home/a')).toBe('/home/a/.config/sendtalk-verify');
    expect(configDir({}, 'darwin', '/Users/a')).toBe('/Users/a/Library/Application Support/sendtalk-verify');
    expect(configDir({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32', 'C:\\Users\\a')).toContain('sendtalk-verify');
  });
});

describe('the remembered webhook URL', () => {
  const url = 'https://sendtalk-abcdefghij.loca.lt/webhook';

  it('says first, then same, then changed, with the URL it had', async () => {
    const dir = tempDir();
    const memory = { dir, key: urlIdentity(KEY).stateKey };
    expect(await checkAndRemember(memory, url)).toEqual({ change: 'first' });
    expect(await checkAndRemember(memory, url)).toEqual({ change: 'same', previousWebhookUrl: url });
    const other = 'https://t0a1b2c3d4.loca.lt/webhook';
    expect(await checkAndRemember(memory, other)).toEqual({ change: 'changed', previousWebhookUrl: url });
    expect(await checkAndRemember(memory, other)).toEqual({ change: 'same', previousWebhookUrl: other });
    // Another key has its own entry.
    expect(await checkAndRemember({ dir, key: urlIdentity('another key').stateKey }, url)).toEqual({ change: 'first' });
  });

  it('writes a private file (0600 in a 0700 directory) holding no key', async () => {
    const dir = tempDir();
    await checkAndRemember({ dir, key: urlIdentity(KEY).stateKey }, url);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const file = join(dir, 'webhook-urls.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(url);
    for (const w of windowsOf(KEY)) expect(text).not.toContain(w);
  });

  it('replaces the file by renaming a new one over it, never rewriting it in place, and leaves no temporary file', async () => {
    const dir = tempDir();
    const memory = { dir, key: urlIdentity(KEY).stateKey };
    await checkAndRemember(memory, url);
    const file = join(dir, 'webhook-urls.json');
    const before = readFileSync(file, 'utf8');
    // A second name for the old file: a write in place would change what it reads.
    const oldLink = join(dir, '..', 'old-state.json');
    linkSync(file, oldLink);
    await checkAndRemember(memory, 'https://t0a1b2c3d4.loca.lt/webhook');
    expect(readFileSync(oldLink, 'utf8')).toBe(before);
    expect(readFileSync(file, 'utf8')).toContain('t0a1b2c3d4');
    expect(readdirSync(dir)).toEqual(['webhook-urls.json']);
  });

  it('treats a corrupt file as a first run, says so, and replaces it', async () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'webhook-urls.json'), '{"urls": {"k": ');
    const memory = { dir, key: urlIdentity(KEY).stateKey };
    const check = await checkAndRemember(memory, url);
    expect(check).toMatchObject({ change: 'first', problem: expect.stringMatching(/is not what this tool writes/) });
    expect(await checkAndRemember(memory, url)).toEqual({ change: 'same', previousWebhookUrl: url });
  });

  it('never throws when the file cannot be read or written', async () => {
    const dir = tempDir();
    // A directory where the file should be: neither readable as a file nor replaceable by rename.
    mkdirSync(join(dir, 'webhook-urls.json'), { recursive: true });
    const check = await checkAndRemember({ dir, key: 'k' }, url);
    expect(check.change).toBe('first');
    expect(check.problem).toMatch(/could not read .*EISDIR.*could not write/);
    expect(await rememberUrl({ dir, key: 'k' }, url)).toMatch(/could not write/);
  });
});
