import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds, LONG_INTEGER, scanJson, TOO_DEEP } from '../../src/json.js';
import { parseBody } from '../../src/webhook/request.js';

/** The pre-parse scan and the body parser of the listener: what each body shape gives, exactly. */
const nest = (depth: number, open = '[', close = ']'): string => `${open.repeat(depth)}${close.repeat(depth)}`;

describe('scanJson', () => {
  it('flags nothing in a flat body', () => {
    expect(scanJson('{"a":1,"b":"x"}', 64)).toBe(0);
    expect(scanJson('', 64)).toBe(0);
  });

  it('allows exactly the maximum depth and flags one more, for arrays and objects alike', () => {
    expect(scanJson(nest(3), 3)).toBe(0);
    expect(scanJson(nest(4), 3)).toBe(TOO_DEEP);
    expect(scanJson('{"a":{"b":{}}}', 3)).toBe(0);
    expect(scanJson('{"a":{"b":{"c":{}}}}', 3)).toBe(TOO_DEEP);
    expect(scanJson('[{"a":[{}]}]', 3)).toBe(TOO_DEEP);
    expect(scanJson('[{"a":[]}]', 3)).toBe(0);
  });

  it('counts depth, not the number of containers: closing brackets and braces bring it back down', () => {
    expect(scanJson('[[1],[2],[3],[4],[5]]', 2)).toBe(0);
    expect(scanJson('{"a":{},"b":{},"c":{},"d":{}}', 2)).toBe(0);
    expect(scanJson('[{},{},{},{}]', 2)).toBe(0);
    expect(scanJson('{"a":[],"b":[],"c":[],"d":[]}', 2)).toBe(0);
  });

  it('ignores brackets inside strings, including after an escaped quote', () => {
    expect(scanJson(`{"a":"${'['.repeat(10)}"}`, 2)).toBe(0);
    expect(scanJson(`{"a":"\\"${'{'.repeat(10)}"}`, 2)).toBe(0);
    expect(scanJson(`{"a":"\\\\","b":${nest(3)}}`, 2)).toBe(TOO_DEEP);
  });

  it('sees a string end at the first unescaped quote: brackets after it count again', () => {
    expect(scanJson(`{"a":"x","b":${nest(2)}}`, 2)).toBe(TOO_DEEP);
    expect(scanJson(`"x"${nest(3)}`, 2)).toBe(TOO_DEEP);
  });

  it('flags an integer of 16 digits or more outside strings, not 15, not inside a string', () => {
    expect(scanJson('{"id":123456789012345}', 64)).toBe(0);
    expect(scanJson('{"id":1234567890123456}', 64)).toBe(LONG_INTEGER);
    expect(scanJson('{"id":"12345678901234567890"}', 64)).toBe(0);
    expect(scanJson('[123456789012345,123456789012345]', 64)).toBe(0);
    expect(scanJson('[123456789012345 1]', 64)).toBe(0);
  });

  it('counts only digits: characters either side of the 0-9 range break a run', () => {
    // '/' (0x2f) and ':' (0x3a) are the neighbours of '0' and '9'.
    expect(scanJson('12345678/12345678', 64)).toBe(0);
    expect(scanJson('12345678:12345678', 64)).toBe(0);
    expect(scanJson('00000000099999999', 64)).toBe(LONG_INTEGER);
  });

  it('reports both flags together, stopping at the first level too deep', () => {
    expect(scanJson(`{"id":12345678901234567,"a":${nest(5)}}`, 3)).toBe(LONG_INTEGER | TOO_DEEP);
    expect(scanJson(`{"a":${nest(5)},"id":12345678901234567}`, 3)).toBe(TOO_DEEP);
  });

  it('jsonDepthExceeds answers the depth question alone', () => {
    expect(jsonDepthExceeds(nest(4), 3)).toBe(true);
    expect(jsonDepthExceeds(nest(3), 3)).toBe(false);
    expect(jsonDepthExceeds('12345678901234567', 3)).toBe(false);
  });
});

describe('parseBody', () => {
  const body = (text: string | number[]): Buffer => (typeof text === 'string' ? Buffer.from(text) : Buffer.from(text));

  it('gives the JSON object', () => {
    expect(parseBody(body('{"verificationID":"v1","n":2}'), 64)).toEqual({ verificationID: 'v1', n: 2 });
  });

  it('keeps long integers as their digits, and leaves short ones numbers', () => {
    expect(parseBody(body('{"id":12345678901234567890,"n":15}'), 64)).toEqual({ id: '12345678901234567890', n: 15 });
  });

  it('refuses invalid UTF-8 rather than repairing it', () => {
    expect(parseBody(body([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), 64)).toEqual([400, 'not-json', 'the body is not valid UTF-8']);
  });

  it('refuses a body nested deeper than allowed, naming the limit', () => {
    expect(parseBody(body(`{"a":${nest(3)}}`), 3)).toEqual([400, 'too-deep', 'the body nests more than 3 levels']);
    expect(parseBody(body(`{"a":${nest(2)}}`), 3)).toEqual({ a: [[]] });
  });

  it('tells an empty body from one that is not JSON', () => {
    expect(parseBody(body(''), 64)).toEqual([400, 'not-json', 'the body is empty']);
    expect(parseBody(body('{"a":'), 64)).toEqual([400, 'not-json', 'the body is not valid JSON']);
    expect(parseBody(body('{"id":12345678901234567890'), 64)).toEqual([400, 'not-json', 'the body is not valid JSON']);
  });

  it.each([
    ['[1,2]', 'array'],
    ['null', 'null'],
    ['"verified"', 'string'],
    ['42', 'number'],
    ['true', 'boolean'],
  ])('refuses %s as JSON %s, not an object', (text, kind) => {
    expect(parseBody(body(text), 64)).toEqual([400, 'not-object', `the body is JSON ${kind}, not an object`]);
  });
});
