/** A phrase made to start a sentence: its first letter capitalised, the rest as it was. */
export function sentence(phrase: string): string {
  return phrase.charAt(0).toUpperCase() + phrase.slice(1);
}

/**
 * `name` with the indefinite article a reader would say before it: "an X-Secret-Key",
 * "a Secret-Key", "an API-Key", "a URL", "an OPTIONS", "a HEAD". A first part of one letter, or
 * of up to 3 capitals, is read letter by letter (so the letter's name decides: "ex", "ay", "you");
 * anything else is read as a word, where a vowel decides, except the "you" sound of "user", "unique".
 */
export function withArticle(name: string): string {
  const first = name.split(/[-_\s]/)[0] ?? name;
  const spelled = first.length === 1 || /^[A-Z]{2,3}$/.test(first);
  const vowelSound = spelled
    ? /^[aefhilmnorsx]/i.test(first)
    : /^[aeiou]/i.test(first) && !/^(u[bcfhjklmnpqrstvz][aeiouy]|uni|eu)/i.test(first);
  return `${vowelSound ? 'an' : 'a'} ${name}`;
}
