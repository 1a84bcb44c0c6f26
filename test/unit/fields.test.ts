import { describe, expect, it } from 'vitest';
import { findField, findString, isJsonObject, toIsoTime } from '../../src/fields.js';

describe('isJsonObject', () => {
  it.each([
    [{}, true],
    [{ a: 1 }, true],
    [null, false],
    [undefined, false],
    [[], false],
    [[{ a: 1 }], false],
    ['{}', false],
    [42, false],
  ])('%j is an object: %s', (value, expected) => {
    expect(isJsonObject(value)).toBe(expected);
  });
});

describe('findField', () => {
  it('finds nothing in what is not an object', () => {
    expect(findField(null, 'id')).toBeUndefined();
    expect(findField(undefined, 'id', 1)).toBeUndefined();
    expect(findField([{ id: 'x' }], 'id', 1)).toBeUndefined();
    expect(findField('id', 'id')).toBeUndefined();
  });

  it('returns the value and the key it was found under', () => {
    expect(findField({ verificationID: 'v1' }, 'id')).toEqual({ value: 'v1', path: 'verificationID' });
  });

  it('takes the alias first in order of preference, not the key first in the object', () => {
    expect(findField({ id: 'plain', verificationId: 'preferred' }, 'id')).toEqual({ value: 'preferred', path: 'verificationId' });
    expect(findField({ url: 'https://u', waLink: 'https://w' }, 'link')).toEqual({ value: 'https://w', path: 'waLink' });
  });

  it('finds a key that is the first one in the object', () => {
    expect(findField({ id: 'first', other: 1 }, 'id')).toEqual({ value: 'first', path: 'id' });
  });

  it('compares without case, underscores or hyphens, and keeps the key as it was written', () => {
    expect(findField({ VERIFICATIONID: 'a' }, 'id')).toEqual({ value: 'a', path: 'VERIFICATIONID' });
    expect(findField({ 'Verification-Id': 'b' }, 'id')).toEqual({ value: 'b', path: 'Verification-Id' });
    expect(findField({ wa_me_link: 'https://c' }, 'link')).toEqual({ value: 'https://c', path: 'wa_me_link' });
    expect(findField({ 'wa-me_Link': 'https://d' }, 'link')).toEqual({ value: 'https://d', path: 'wa-me_Link' });
  });

  it('does not take a key that only resembles an alias', () => {
    expect(findField({ verificationIDs: 'x', 'verification id': 'y', identity: 'z' }, 'id')).toBeUndefined();
  });

  it('where two keys normalise alike, the first in the object counts', () => {
    expect(findField({ userPhone: '1', user_phone: '2' }, 'phone')).toEqual({ value: '1', path: 'userPhone' });
    expect(findField({ user_phone: '2', userPhone: '1' }, 'phone')).toEqual({ value: '2', path: 'user_phone' });
  });

  it('passes over an alias that is null, undefined or empty, and goes on to the next', () => {
    expect(findField({ verificationID: null, id: 'a' }, 'id')).toEqual({ value: 'a', path: 'id' });
    expect(findField({ verificationID: undefined, id: 'b' }, 'id')).toEqual({ value: 'b', path: 'id' });
    expect(findField({ verificationID: '', id: 'c' }, 'id')).toEqual({ value: 'c', path: 'id' });
    expect(findField({ verificationID: null }, 'id')).toBeUndefined();
  });

  it('keeps values that are falsy but present: 0, false, an empty object', () => {
    expect(findField({ id: 0 }, 'id')).toEqual({ value: 0, path: 'id' });
    expect(findField({ status: false }, 'status')).toEqual({ value: false, path: 'status' });
    expect(findField({ qr: {} }, 'qr')).toEqual({ value: {}, path: 'qr' });
  });

  it('does not take a key named "undefined" for a missing alias', () => {
    expect(findField({ undefined: 'x' }, 'id')).toBeUndefined();
  });

  it('looks one level down only when depth allows it, and names the path', () => {
    const data = { verification: { verification_id: 'n1' } };
    expect(findField(data, 'id')).toBeUndefined();
    expect(findField(data, 'id', 0)).toBeUndefined();
    expect(findField(data, 'id', 1)).toEqual({ value: 'n1', path: 'verification.verification_id' });
  });

  it('goes no deeper than depth', () => {
    const data = { outer: { inner: { id: 'deep' } } };
    expect(findField(data, 'id', 1)).toBeUndefined();
    expect(findField(data, 'id', 2)).toEqual({ value: 'deep', path: 'outer.inner.id' });
  });

  it('prefers the top level to a nested object that comes first', () => {
    expect(findField({ nested: { id: 'inner' }, id: 'top' }, 'id', 1)).toEqual({ value: 'top', path: 'id' });
  });

  it('takes the first nested object that has the field, passing over arrays and scalars', () => {
    const data = { list: [{ id: 'in-array' }], text: 'id', empty: {}, a: { id: 'from-a' }, b: { id: 'from-b' } };
    expect(findField(data, 'id', 1)).toEqual({ value: 'from-a', path: 'a.id' });
  });

  it('passes over an empty top-level alias to a nested one', () => {
    expect(findField({ id: '', data: { id: 'x' } }, 'id', 1)).toEqual({ value: 'x', path: 'data.id' });
  });
});

describe('findString', () => {
  it('returns a string as it is', () => {
    expect(findString({ id: 'abc' }, 'id')).toBe('abc');
  });

  it('returns a finite number as its decimal text', () => {
    expect(findString({ id: 42 }, 'id')).toBe('42');
    expect(findString({ id: 1.5 }, 'id')).toBe('1.5');
    expect(findString({ id: 0 }, 'id')).toBe('0');
  });

  it.each([[Number.NaN], [Number.POSITIVE_INFINITY], [true], [{ id: 'x' }], [['x']]])('returns undefined for %j', (value) => {
    expect(findString({ id: value }, 'id')).toBeUndefined();
  });

  it('returns undefined when the field is absent', () => {
    expect(findString({ other: 'x' }, 'id')).toBeUndefined();
    expect(findString(null, 'id')).toBeUndefined();
  });

  it('looks one level down only when asked to', () => {
    expect(findString({ data: { id: 'nested' } }, 'id')).toBeUndefined();
    expect(findString({ data: { id: 'nested' } }, 'id', 1)).toBe('nested');
  });
});

describe('toIsoTime', () => {
  it('reads a number below 1e11 as epoch seconds', () => {
    expect(toIsoTime(1_700_000_000)).toBe('2023-11-14T22:13:20.000Z');
    expect(toIsoTime(1)).toBe('1970-01-01T00:00:01.000Z');
    expect(toIsoTime(99_999_999_999)).toBe('5138-11-16T09:46:39.000Z');
  });

  it('reads a number from 1e11 up as epoch milliseconds', () => {
    expect(toIsoTime(100_000_000_000)).toBe('1973-03-03T09:46:40.000Z');
    expect(toIsoTime(1_700_000_000_000)).toBe('2023-11-14T22:13:20.000Z');
  });

  it.each([[0], [-5], [Number.NaN], [Number.POSITIVE_INFINITY], [1e16]])('has no time for the number %j', (value) => {
    expect(toIsoTime(value)).toBeUndefined();
  });

  it('reads a string of digits as a number', () => {
    expect(toIsoTime('1700000000')).toBe('2023-11-14T22:13:20.000Z');
    expect(toIsoTime('1700000000000')).toBe('2023-11-14T22:13:20.000Z');
    expect(toIsoTime('0')).toBeUndefined();
  });

  it('reads a date string, whether it starts or ends with digits', () => {
    expect(toIsoTime('2026-01-02T03:04:05Z')).toBe('2026-01-02T03:04:05.000Z');
    expect(toIsoTime('2026-01-02T03:04:05+07:00')).toBe('2026-01-01T20:04:05.000Z');
    expect(toIsoTime('Jan 2 2026 00:00:00 GMT+0000')).toBe('2026-01-02T00:00:00.000Z');
  });

  it.each([[''], ['   '], ['soon'], ['12abc'], [null], [undefined], [true], [{}]])('has no time for %j', (value) => {
    expect(toIsoTime(value)).toBeUndefined();
  });
});
