import { describe, expect, it } from 'vitest';
import { SendtalkVerifyError } from '../../src/errors.js';
import { parseCreateFlowOptions } from '../../src/flow/create-options.js';

/** The message parseCreateFlowOptions throws for `options`. */
function refusal(options: Parameters<typeof parseCreateFlowOptions>[0]): string {
  try {
    parseCreateFlowOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(SendtalkVerifyError);
    return (error as SendtalkVerifyError).message;
  }
  throw new Error('parseCreateFlowOptions accepted the options');
}

const PHONE = { digits: '6281234567890', e164: '+6281234567890', international: '+62 812 3456 7890', country: 'ID' };

describe('parseCreateFlowOptions', () => {
  it('parses the phone and the API URL, defaults the language, and keeps the other options', () => {
    const onEvent = (): void => {};
    expect(parseCreateFlowOptions({ phone: '+62 812-3456-7890', apiKey: 'k', apiUrl: 'http://127.0.0.1:9/base', secret: 's', onEvent, timeoutMs: 5 })).toEqual({
      phone: PHONE,
      apiKey: 'k',
      apiUrl: new URL('http://127.0.0.1:9/base'),
      language: 'en',
      secret: 's',
      onEvent,
      timeoutMs: 5,
    });
  });

  it('leaves the API URL out when none is given, and keeps the language asked for', () => {
    const config = parseCreateFlowOptions({ phone: '6281234567890', apiKey: 'k', language: 'id' });
    expect(config).toEqual({ phone: PHONE, apiKey: 'k', apiUrl: undefined, language: 'id' });
  });

  it('needs no key in the sandbox', () => {
    expect(parseCreateFlowOptions({ phone: '6281234567890', sandbox: true })).toEqual({ phone: PHONE, sandbox: true, apiUrl: undefined, language: 'en' });
  });

  it('needs a key outside the sandbox, an empty one included', () => {
    expect(refusal({ phone: '6281234567890' })).toBe('No SendTalk API key.');
    expect(refusal({ phone: '6281234567890', apiKey: '' })).toBe('No SendTalk API key.');
    expect(refusal({ phone: '6281234567890', sandbox: false })).toBe('No SendTalk API key.');
  });

  it('checks the phone, then the API URL, then the key, then the fields', () => {
    expect(refusal({ phone: '', apiUrl: 'ftp://x', language: 'fr' as 'en' })).toBe('The phone number is empty.');
    expect(refusal({ phone: '6281234567890', apiUrl: 'ftp://x', language: 'fr' as 'en' })).toBe('API URL "ftp://x" is not an http(s) URL.');
    expect(refusal({ phone: '6281234567890', language: 'fr' as 'en' })).toBe('No SendTalk API key.');
    expect(refusal({ phone: '6281234567890', apiKey: 'k', language: 'fr' as 'en' })).toBe('Language "fr" is not supported.');
    expect(refusal({ phone: '6281234567890', apiKey: 'k', expiryMinutes: 0 })).toBe('Expiry "0" must be a whole number of minutes above 0.');
  });
});
