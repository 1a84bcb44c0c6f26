import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

// No test may read or write the real user's configuration (the remembered webhook URLs): code run
// in the test process itself finds an empty directory of its own. The CLI's children get one each
// (cleanEnv in cli.ts).
const dir = mkdtempSync(join(tmpdir(), 'stv-config-unit-'));
process.env.XDG_CONFIG_HOME = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
