import { describe, expect, it } from 'vitest';
import { withArticle } from '../../src/render/text.js';

describe('withArticle', () => {
  it('reads a one-letter or short capital first part letter by letter, anything else as a word', () => {
    expect(
      ['X-Secret-Key', 'Secret-Key', 'API-Key', 'URL', 'Authorization', 'User-Agent', 'Upgrade', 'OPTIONS', 'HEAD', 'GET', 'PUT', 'F-Token'].map(withArticle),
    ).toEqual([
      'an X-Secret-Key',
      'a Secret-Key',
      'an API-Key',
      'a URL',
      'an Authorization',
      'a User-Agent',
      'an Upgrade',
      'an OPTIONS',
      'a HEAD',
      'a GET',
      'a PUT',
      'an F-Token',
    ]);
  });
});
