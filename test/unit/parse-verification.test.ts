import { describe, expect, it } from 'vitest';
import { messageFromLink, parseVerification } from '../../src/client/parse-verification.js';
import { SendtalkVerifyError } from '../../src/errors.js';

/** What parseVerification throws for `data`, as the user sees it. */
function refusal(data: unknown): { category: string; message: string; hint?: string; details?: Record<string, unknown> } {
  try {
    parseVerification(data, '6281234567890');
  } catch (error) {
    expect(error).toBeInstanceOf(SendtalkVerifyError);
    const { category, message, hint, details } = error as SendtalkVerifyError;
    return { category, message, hint, details };
  }
  throw new Error(`parseVerification accepted ${JSON.stringify(data)}`);
}

const ID_ALIASES = 'verificationID, verificationId, verification_id, id';
const LINK_ALIASES = 'waLink, whatsappLink, whatsappMessageLink, waMeLink, deepLink, link, url';
const SHAPE_HINT = 'The response shape may have changed: run with --debug and report the field names.';

describe('parseVerification', () => {
  it('reads every field it knows, and keeps the data as received', () => {
    const data = {
      verificationID: 'v1',
      waLink: 'https://wa.me/62811?text=from%20link',
      waMessage: 'Verify me',
      qrCode: 'data:image/png;base64,AAAA',
      userPhone: '+6281111111111',
      expiredTime: 1_800_000_000,
      extra: { kept: true },
    };
    expect(parseVerification(data, '6281234567890')).toEqual({
      id: 'v1',
      phone: '6281111111111',
      link: 'https://wa.me/62811?text=from%20link',
      message: 'Verify me',
      qr: 'data:image/png;base64,AAAA',
      expiresAt: '2027-01-15T08:00:00.000Z',
      raw: data,
    });
  });

  it('falls back to the phone sent, the message in the link, and no qr or expiry', () => {
    const data = { id: 7, link: 'http://wa.me/62811?text=Hello%20there' };
    expect(parseVerification(data, '6281234567890')).toEqual({
      id: '7',
      phone: '6281234567890',
      link: 'http://wa.me/62811?text=Hello%20there',
      message: 'Hello there',
      qr: undefined,
      expiresAt: undefined,
      raw: data,
    });
  });

  it('has no message when neither the answer nor the link carries one', () => {
    expect(parseVerification({ id: 'v', link: 'https://wa.me/62811' }, '62').message).toBeUndefined();
  });

  it('keeps a phone number without a + as it is, and takes only a leading +', () => {
    expect(parseVerification({ id: 'v', link: 'https://wa.me/1', phone: '6285555' }, '62').phone).toBe('6285555');
    expect(parseVerification({ id: 'v', link: 'https://wa.me/1', phone: '62+85555' }, '62').phone).toBe('62+85555');
  });

  it('reads fields one level down', () => {
    const data = { verification: { verification_id: 'n1', deepLink: 'https://wa.me/1', expiresAt: '2026-05-01T00:00:00Z' } };
    expect(parseVerification(data, '62')).toMatchObject({ id: 'n1', link: 'https://wa.me/1', expiresAt: '2026-05-01T00:00:00.000Z' });
  });

  it('has no expiry when the expiry field cannot be read as a time', () => {
    expect(parseVerification({ id: 'v', link: 'https://wa.me/1', expiry: 'soon' }, '62').expiresAt).toBeUndefined();
  });

  it.each([
    [null, 'null'],
    [['x'], 'an array'],
    ['text', 'string'],
    [42, 'number'],
    [undefined, 'undefined'],
  ])('refuses data that is %j, naming what it is', (data, what) => {
    expect(refusal(data)).toEqual({
      category: 'api-unavailable',
      message: `SendTalk answered success but its "data" is ${what}, not an object.`,
      hint: 'Run again with --debug to see the raw answer, and report it if it persists.',
      details: undefined,
    });
  });

  it('names a missing link, and lists the keys it got', () => {
    expect(refusal({ verificationID: 'abc', somethingElse: 1 })).toEqual({
      category: 'api-unavailable',
      message: `SendTalk's answer has no WhatsApp link (looked for ${LINK_ALIASES}). Its data has: verificationID, somethingElse.`,
      hint: SHAPE_HINT,
      details: { keys: ['verificationID', 'somethingElse'] },
    });
  });

  it('names a missing id', () => {
    expect(refusal({ waLink: 'https://wa.me/1' })).toEqual({
      category: 'api-unavailable',
      message: `SendTalk's answer has no verification id (looked for ${ID_ALIASES}). Its data has: waLink.`,
      hint: SHAPE_HINT,
      details: { keys: ['waLink'] },
    });
  });

  it('names both when both are missing, and says when the data has no keys', () => {
    expect(refusal({})).toEqual({
      category: 'api-unavailable',
      message: `SendTalk's answer has no verification id (looked for ${ID_ALIASES}) and no WhatsApp link (looked for ${LINK_ALIASES}). Its data has: no keys.`,
      hint: SHAPE_HINT,
      details: { keys: [] },
    });
  });

  it.each(['javascript:alert(1)', 'ftp://wa.me/1', '42', 'wa.me/62811', 'mailto:someone@example.com'])(
    'refuses the link %j, which is not a web address',
    (link) => {
      expect(refusal({ id: 'v1', link }).message).toBe(
        `SendTalk's answer has no usable WhatsApp link (${JSON.stringify(link)} is not an http(s) URL). Its data has: id, link.`,
      );
    },
  );

  it('quotes at most 60 characters of an unusable link', () => {
    const link = `javascript:${'a'.repeat(100)}`;
    expect(refusal({ id: 'v1', link }).message).toBe(
      `SendTalk's answer has no usable WhatsApp link (${JSON.stringify(link.slice(0, 60))} is not an http(s) URL). Its data has: id, link.`,
    );
  });

  it('a link given as a number is not a usable link', () => {
    expect(refusal({ id: 'v1', waLink: 42 }).message).toBe(
      'SendTalk\'s answer has no usable WhatsApp link ("42" is not an http(s) URL). Its data has: id, waLink.',
    );
  });
});

describe('messageFromLink', () => {
  it('decodes the text parameter of a wa.me link', () => {
    expect(messageFromLink('https://wa.me/62811?text=Hello%20there%21')).toBe('Hello there!');
    expect(messageFromLink('https://wa.me/62811?a=1&text=x+y')).toBe('x y');
  });

  it('has no message without a text parameter or without a URL', () => {
    expect(messageFromLink('https://wa.me/62811')).toBeUndefined();
    expect(messageFromLink('https://wa.me/62811?txt=no')).toBeUndefined();
    expect(messageFromLink('not a url')).toBeUndefined();
  });
});
