import { parsePhoneNumberFromString, validatePhoneNumberLength } from 'libphonenumber-js/max';
import { SendtalkVerifyError } from './errors.js';

export interface PhoneNumber {
  /** What SendTalk wants in `userPhone`: digits with the country code, no `+`. */
  digits: string;
  /** E.164 form, `+6281234567890`. */
  e164: string;
  /** Human form, `+62 812-3456-7890`. */
  international: string;
  /**
   * ISO 3166-1 alpha-2 country (`ID`), when the number belongs to one. A plain string in the public
   * type: the phone library is bundled, not installed, so its types must not leak into ours.
   */
  country?: string;
}

/** SendTalk is an Indonesian service: a number written the local way is most likely Indonesian. */
const LOCAL_COUNTRY_GUESS = { code: '62', name: 'Indonesia' };
const EXAMPLE = '6281234567890';

/**
 * Normalises a phone number as people type it (`+62 812-3456-7890`, `+62 (812) 3456 7890`,
 * `6281234567890`, `0062…`) to the digits-with-country-code form SendTalk expects.
 * Throws a usage error that shows the form to type when the number has no country code or cannot
 * be a phone number.
 */
export function parsePhone(input: string): PhoneNumber {
  const raw = input.trim();
  if (raw === '') {
    throw usage('The phone number is empty.', `Pass --phone with the country code, e.g. --phone ${EXAMPLE}.`);
  }
  if (/[^\d\s+().\-/]/.test(raw)) {
    throw usage(
      `"${input}" is not a phone number: only digits, spaces, +, -, ( ) and . are allowed.`,
      `Type it with the country code, e.g. --phone ${EXAMPLE}.`,
    );
  }
  const compact = raw.replace(/[\s().\-/]/g, '');
  if ((compact.match(/\+/g) ?? []).length > 1 || compact.indexOf('+') > 0) {
    throw usage(`"${input}" is not a phone number: "+" may only start it.`, `Type it with one + at the start at most, e.g. --phone ${EXAMPLE}.`);
  }
  let international: string;
  if (compact.startsWith('+')) international = compact;
  else if (compact.startsWith('00')) international = `+${compact.slice(2)}`;
  else if (compact.startsWith('0')) throw noCountryCode(input, `+${LOCAL_COUNTRY_GUESS.code}${compact.replace(/^0+/, '')}`);
  else international = `+${compact}`;

  const parsed = parsePhoneNumberFromString(international);
  if (!parsed || !parsed.isPossible()) {
    const digits = international.slice(1);
    throw usage(
      `"${input}" is not a possible phone number (${digits.length} digits${parsed?.country ? ` for ${parsed.country}` : ''}).`,
      `Type the full number with its country code, e.g. --phone ${EXAMPLE}.`,
    );
  }
  // Possible is only a length check: `+62 000 0000 0000` has the length, but no real number starts so.
  if (!parsed.isValid()) {
    throw usage(
      `"${input}" is not a valid phone number${parsed.country ? ` for ${parsed.country}` : ` with country code +${parsed.countryCallingCode}`}.`,
      `Check the digits and the country code, e.g. --phone ${EXAMPLE}.`,
    );
  }
  return {
    digits: parsed.number.slice(1),
    e164: parsed.number,
    international: parsed.formatInternational(),
    country: parsed.country,
  };
}

/**
 * The refusal of a local number. The country code is suggested only when the number with it passes
 * this same parser: a suggestion the next run refuses would send the user round in circles.
 */
function noCountryCode(input: string, guess: string): SendtalkVerifyError {
  const message = `"${input}" has no country code (it starts with 0)`;
  try {
    const { digits } = parsePhone(guess);
    return usage(`${message}.`, `SendTalk needs the country code: for ${LOCAL_COUNTRY_GUESS.name} type --phone ${digits}.`);
  } catch {
    const missing =
      validatePhoneNumberLength(guess) === 'TOO_SHORT'
        ? 'it is too short to be a whole number'
        : `${LOCAL_COUNTRY_GUESS.code} in front of it does not make a valid number either`;
    return usage(`${message}, and ${missing}.`, `Type the whole number with its country code, e.g. --phone ${EXAMPLE}.`);
  }
}

function usage(message: string, hint: string): SendtalkVerifyError {
  return new SendtalkVerifyError('usage', message, { hint, field: 'phone' });
}
