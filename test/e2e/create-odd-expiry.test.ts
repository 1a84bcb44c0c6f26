import { describe, expect, it } from 'vitest';
import { serversStoppedAfterEach } from '../helpers/cleanup.js';
import { runCli } from '../helpers/cli.js';
import { envelope, FakeApi } from '../helpers/fake-api.js';

const KEY = 'st_expiry_KEY_never_printed_3301';
const started = serversStoppedAfterEach();
const args = (url: string): string[] => [
  'create',
  '--api-url',
  url,
  '--api-key',
  KEY,
  '--phone',
  '6281234567890',
  '--tunnel',
  'none',
  '--timeout',
  '600ms',
  '--secret',
  'whsec_expiry_test_1234',
];

describe('create with an odd expiry in the answer', () => {
  for (const [name, expiredTime, says] of [
    ['in the past', Date.now() - 1_796_111_593_144, /which is already past \(is this machine's clock right\?\)/],
    ['30 days out', Date.now() + 30 * 24 * 3600_000, /more than 7 days away: not used as the deadline/],
    ['in the year 275760', 8.64e15, /more than 7 days away/],
  ] as const) {
    it(`explains an expiry ${name} and waits for --timeout instead (exit 3, no timer overflow)`, async () => {
      const api = await started(new FakeApi({ body: envelope({ id: 'ver_odd', waLink: 'https://wa.me/62811?text=hi', expiredTime }) }));
      const r = await runCli(args(api.url));
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(says);
      expect(r.stderr).not.toMatch(/TimeoutOverflowWarning|Unexpected error|-\d+ ms|expired after/);
      expect(r.stderr).toMatch(/timed out|time-out|within 600 ms/i);
    });
  }
});
