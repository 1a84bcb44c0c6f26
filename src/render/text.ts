// Text for people: a sentence, the article before a name, a plain table.

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
  const vowelSound = spelled ? /^[aefhilmnorsx]/i.test(first) : /^[aeiou]/i.test(first) && !/^(u[bcfhjklmnpqrstvz][aeiouy]|uni|eu)/i.test(first);
  return `${vowelSound ? 'an' : 'a'} ${name}`;
}

/**
 * A plain text table: a header row, a rule, then rows, columns padded to their widest cell.
 * No colours and no box drawing, so it reads the same in a terminal, a CI log and a pipe.
 * Width is counted in code points: the cells hold ASCII, `✔`, `✖` and `…`, all one column wide.
 */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, indent = 2): string {
  const width = (text: string): number => [...text].length;
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((row) => width(row[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    (' '.repeat(indent) + cells.map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - width(cell)))).join('  ')).trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
