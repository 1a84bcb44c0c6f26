import { describe, expect, it } from 'vitest';
import { escapeData, escapeProperty, markdownTable } from '../../src/cli/github-actions.js';

describe('workflow-command escaping', () => {
  it('escapes %, CR and LF in data, and also : and , in properties', () => {
    expect(escapeData('50% done\r\nnext: a, b')).toBe('50%25 done%0D%0Anext: a, b');
    expect(escapeProperty('50% done\r\nnext: a, b')).toBe('50%25 done%0D%0Anext%3A a%2C b');
    // % first, so an escape is never escaped twice.
    expect(escapeData('%0A')).toBe('%250A');
  });

  it('keeps Markdown table rows whole: | and line breaks in cells', () => {
    expect(markdownTable(['a', 'b'], [['x|y', 'one\ntwo']])).toBe('| a | b |\n| --- | --- |\n| x\\|y | one two |');
  });
});
