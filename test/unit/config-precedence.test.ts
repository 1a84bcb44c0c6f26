import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigSources, pick } from '../../src/config.js';

function dirWithDotEnv(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'stv-config-'));
  writeFileSync(join(dir, '.env'), text);
  return dir;
}

describe('configuration precedence', () => {
  const cwd = dirWithDotEnv('SENDTALK_API_KEY=from-dotenv\n# a comment\nSENDTALK_API_URL="http://dotenv.example"\n');

  it('flag over environment over .env over default', () => {
    const sources = loadConfigSources({ cwd, env: { SENDTALK_API_KEY: 'from-env' } });
    expect(pick('from-flag', 'SENDTALK_API_KEY', sources)).toEqual({ value: 'from-flag', source: 'flag' });
    expect(pick(undefined, 'SENDTALK_API_KEY', sources)).toEqual({ value: 'from-env', source: 'env' });
    expect(pick(undefined, 'SENDTALK_API_URL', sources)).toEqual({ value: 'http://dotenv.example', source: 'dotenv' });
    expect(pick(undefined, 'SENDTALK_WEBHOOK_SECRET', sources, 'fallback')).toEqual({ value: 'fallback', source: 'default' });
  });

  it('treats an empty environment variable as unset', () => {
    const sources = loadConfigSources({ cwd, env: { SENDTALK_API_KEY: '' } });
    expect(pick(undefined, 'SENDTALK_API_KEY', sources).value).toBe('from-dotenv');
  });

  it('does not change process.env', () => {
    loadConfigSources({ cwd, env: {} });
    expect(process.env.SENDTALK_API_URL).toBeUndefined();
  });

  it('reads the file --dotenv names instead of ./.env, and refuses a missing one', () => {
    const other = dirWithDotEnv('SENDTALK_API_KEY=from-other-file\n');
    const sources = loadConfigSources({ cwd, envFile: join(other, '.env'), env: {} });
    expect(pick(undefined, 'SENDTALK_API_KEY', sources).value).toBe('from-other-file');
    expect(() => loadConfigSources({ cwd, envFile: 'nope.env', env: {} })).toThrow(/nope\.env does not exist/);
  });

  it('is fine without a .env file', () => {
    const empty = mkdtempSync(join(tmpdir(), 'stv-config-'));
    expect(loadConfigSources({ cwd: empty, env: {} }).dotenv).toEqual({});
  });
});
