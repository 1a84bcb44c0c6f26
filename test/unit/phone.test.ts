import { describe, expect, it } from 'vitest';
import { SendtalkVerifyError } from '../../src/errors.js';
import { parsePhone } from '../../src/phone.js';

describe('parsePhone', () => {
  it.each(['6281234567890', '+62 812-3456-7890', '+62 (812) 3456 7890', '0062 812 3456 7890', ' +6281234567890 '])(
    'normalises %j to digits with the country code',
    (input) => {
      expect(parsePhone(input).digits).toBe('6281234567890');
    },
  );

  it('keeps other countries', () => {
    expect(parsePhone('+1 (415) 555-2671')).toMatchObject({ digits: '14155552671', country: 'US' });
  });

  it('refuses a local number and shows the form to type', () => {
    const error = (() => {
      try {
        parsePhone('0812-3456-7890');
      } catch (e) {
        return e as SendtalkVerifyError;
      }
    })();
    expect(error).toBeInstanceOf(SendtalkVerifyError);
    expect(error!.exitCode).toBe(2);
    expect(error!.message).toMatch(/no country code/);
    expect(error!.hint).toContain('--phone 6281234567890');
  });

  it.each(['', '62', '+621234', 'abc', '+62 812 + 3456', '99999999999999999999'])('refuses %j as a usage error', (input) => {
    expect(() => parsePhone(input)).toThrow(SendtalkVerifyError);
    try {
      parsePhone(input);
    } catch (error) {
      expect((error as SendtalkVerifyError).exitCode).toBe(2);
      expect((error as SendtalkVerifyError).hint).toMatch(/--phone/);
    }
  });
});
