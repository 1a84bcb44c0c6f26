import { describe, expect, it } from 'vitest';
import { escapeControls, escapeJsonControls } from '../../src/render/escape-controls.js';

// Each class of character alone in the text, with no ESC beside it: the filter first asks whether
// the text holds any control at all, and a class missing from that question would let the
// character through untouched (`\u009b2J` clears the screen on terminals that read 8-bit CSI).
describe('a control character a peer put in text is shown, not obeyed', () => {
  it.each([
    ['an 8-bit CSI (C1) that clears the screen', 'a\u009b2Jb', 'a\\x9b2Jb'],
    ['the first C1 control', 'a\u0080b', 'a\\x80b'],
    ['the last C1 control (OSC terminator)', 'a\u009fb', 'a\\x9fb'],
    ['DEL', 'a\u007fb', 'a\\x7fb'],
    ['NUL', 'a\u0000b', 'a\\x00b'],
    ['BEL', 'a\u0007b', 'a\\x07b'],
    ['backspace', 'a\u0008b', 'a\\x08b'],
    ['vertical tab', 'a\u000bb', 'a\\x0bb'],
    ['carriage return, which would overwrite the line', 'paid\rfree', 'paid\\rfree'],
    ['the last C0 control', 'a\u001fb', 'a\\x1fb'],
    ['a right-to-left override (Trojan Source)', 'a\u202eb', 'a\\u202eb'],
    ['the first bidirectional embedding', 'a\u202ab', 'a\\u202ab'],
    ['a left-to-right mark', 'a\u200eb', 'a\\u200eb'],
    ['a right-to-left mark', 'a\u200fb', 'a\\u200fb'],
    ['a first-strong isolate', 'a\u2068b', 'a\\u2068b'],
    ['the first isolate', 'a\u2066b', 'a\\u2066b'],
    ['a pop-directional isolate', 'a\u2069b', 'a\\u2069b'],
  ])('%s', (_what, text, shown) => {
    expect(escapeControls(text)).toBe(shown);
    expect(escapeControls(text, true)).toBe(shown);
  });

  it('tab, newline and ordinary text beside a control stay as they are', () => {
    expect(escapeControls('a\tb\nc')).toBe('a\tb\nc');
    expect(escapeControls('a\tb\nc\u0085é ü')).toBe('a\tb\nc\\x85é ü');
    expect(escapeControls('plain text, ÿ and \u2070')).toBe('plain text, ÿ and \u2070');
  });

  it('an escape sequence is shown; only a colour sequence passes, and only when colours are kept', () => {
    expect(escapeControls('\u001b[2J\u001b]0;title\u0007')).toBe('\\x1b[2J\\x1b]0;title\\x07');
    expect(escapeControls('\u001b[31mred\u001b[0m')).toBe('\\x1b[31mred\\x1b[0m');
    expect(escapeControls('\u001b[1;31mred\u001b[m', true)).toBe('\u001b[1;31mred\u001b[m');
    expect(escapeControls('\u001b[2J\u001b[31m', true)).toBe('\\x1b[2J\u001b[31m');
  });
});

describe('--json output keeps no character a terminal or a log viewer acts on', () => {
  it.each([
    ['a C1 control', '"a\u009bb"', '"a\\u009bb"'],
    ['the first C1 control', '"a\u0080b"', '"a\\u0080b"'],
    ['DEL', '"a\u007fb"', '"a\\u007fb"'],
    ['a line separator', '"a\u2028b"', '"a\\u2028b"'],
    ['a paragraph separator', '"a\u2029b"', '"a\\u2029b"'],
    ['a right-to-left override', '"a\u202eb"', '"a\\u202eb"'],
    ['a left-to-right mark', '"a\u200eb"', '"a\\u200eb"'],
    ['a pop-directional isolate', '"a\u2069b"', '"a\\u2069b"'],
  ])('%s is written as its \\u escape', (_what, json, written) => {
    expect(escapeJsonControls(json)).toBe(written);
    expect(JSON.parse(escapeJsonControls(json))).toBe(JSON.parse(json));
  });

  it('leaves the rest as JSON.stringify wrote it', () => {
    const json = JSON.stringify({ text: 'é, ü, \t and\n\u001b' });
    expect(escapeJsonControls(json)).toBe(json);
  });
});
