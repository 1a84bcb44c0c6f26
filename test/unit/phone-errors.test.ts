import { describe, expect, it } from 'vitest';
import { SendtalkVerifyError } from '../../src/errors.js';
import { parsePhone } from '../../src/phone.js';

/** What parsePhone throws for `input`, as the user sees it. */
function refusal(input: string): { category: string; field?: string; message: string; hint?: string } {
  try {
    parsePhone(input);
  } catch (error) {
    expect(error).toBeInstanceOf(SendtalkVerifyError);
    const { category, field, message, hint } = error as SendtalkVerifyError;
    return { category, field, message, hint };
  }
  throw new Error(`parsePhone accepted ${JSON.stringify(input)}`);
}

const TYPE_IT = 'Type it with the country code, e.g. --phone 6281234567890.';
const ONE_PLUS = 'Type it with one + at the start at most, e.g. --phone 6281234567890.';
const FULL_NUMBER = 'Type the full number with its country code, e.g. --phone 6281234567890.';
const CHECK_DIGITS = 'Check the digits and the country code, e.g. --phone 6281234567890.';

describe('parsePhone result', () => {
  it('gives the digits, the E.164 form, the international form and the country', () => {
    expect(parsePhone('+62 812-3456-7890')).toEqual({
      digits: '6281234567890',
      e164: '+6281234567890',
      international: '+62 812 3456 7890',
      country: 'ID',
    });
    expect(parsePhone('+1 (415) 555-2671')).toEqual({
      digits: '14155552671',
      e164: '+14155552671',
      international: '+1 415 555 2671',
      country: 'US',
    });
  });

  it('leaves the country out for a number that belongs to none', () => {
    expect(parsePhone('+800 1234 5678')).toEqual({ digits: '80012345678', e164: '+80012345678', international: '+800 1234 5678', country: undefined });
  });

  it.each(['62/812/3456/7890', '+62.812.3456.7890', '+62\t812 3456 7890', '(62) 812 3456 7890', '62-812-3456-7890', '0062-812-3456-7890'])(
    'takes separators out of %j',
    (input) => {
      expect(parsePhone(input).digits).toBe('6281234567890');
    },
  );
});

describe('parsePhone refusals', () => {
  it('says an empty or blank number is empty', () => {
    for (const input of ['', '   ']) {
      expect(refusal(input)).toEqual({
        category: 'usage',
        field: 'phone',
        message: 'The phone number is empty.',
        hint: 'Pass --phone with the country code, e.g. --phone 6281234567890.',
      });
    }
  });

  it.each(['abc', '+62 812 3456 7890 ext 1', '+62_812', '62#8123456789', '+62 812 3456 789O'])('names the characters allowed when given %j', (input) => {
    expect(refusal(input)).toEqual({
      category: 'usage',
      field: 'phone',
      message: `"${input}" is not a phone number: only digits, spaces, +, -, ( ) and . are allowed.`,
      hint: TYPE_IT,
    });
  });

  it.each(['++6281234567890', '62+81234567890', '62 812 3456 7890+', '+62 812 + 3456'])('refuses a + anywhere but at the start in %j', (input) => {
    expect(refusal(input)).toEqual({
      category: 'usage',
      field: 'phone',
      message: `"${input}" is not a phone number: "+" may only start it.`,
      hint: ONE_PLUS,
    });
  });

  it('refuses a local number and shows the Indonesian form to type, trunk zeros dropped', () => {
    expect(refusal('0812-3456-7890')).toEqual({
      category: 'usage',
      field: 'phone',
      message: '"0812-3456-7890" has no country code (it starts with 0).',
      hint: 'SendTalk needs the country code: for Indonesia type --phone 6281234567890.',
    });
    expect(refusal(' 0 812 3456 7890')).toEqual({
      category: 'usage',
      field: 'phone',
      message: '" 0 812 3456 7890" has no country code (it starts with 0).',
      hint: 'SendTalk needs the country code: for Indonesia type --phone 6281234567890.',
    });
  });

  it('suggests no form that would be refused: a local fragment is called too short', () => {
    expect(refusal('0812')).toEqual({
      category: 'usage',
      field: 'phone',
      message: '"0812" has no country code (it starts with 0), and it is too short to be a whole number.',
      hint: 'Type the whole number with its country code, e.g. --phone 6281234567890.',
    });
    expect(refusal('0800000000000').message).toBe(
      '"0800000000000" has no country code (it starts with 0), and 62 in front of it does not make a valid number either.',
    );
  });

  it('says how many digits an impossible number has, and for which country', () => {
    expect(refusal('+621234')).toEqual({
      category: 'usage',
      field: 'phone',
      message: '"+621234" is not a possible phone number (6 digits for ID).',
      hint: FULL_NUMBER,
    });
    expect(refusal('62')).toEqual({
      category: 'usage',
      field: 'phone',
      message: '"62" is not a possible phone number (2 digits).',
      hint: FULL_NUMBER,
    });
    expect(refusal('99999999999999999999')).toEqual({
      category: 'usage',
      field: 'phone',
      message: '"99999999999999999999" is not a possible phone number (20 digits).',
      hint: FULL_NUMBER,
    });
  });

  it('refuses a number of the right length that no real number looks like', () => {
    expect(refusal('+62 000 0000 0000')).toEqual({
      category: 'usage',
      field: 'phone',
      message: '"+62 000 0000 0000" is not a valid phone number for ID.',
      hint: CHECK_DIGITS,
    });
    expect(refusal('+1 000 000 0000')).toEqual({
      category: 'usage',
      field: 'phone',
      message: '"+1 000 000 0000" is not a valid phone number with country code +1.',
      hint: CHECK_DIGITS,
    });
  });
});
