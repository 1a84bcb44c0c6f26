/** A phrase made to start a sentence: its first letter capitalised, the rest as it was. */
export function sentence(phrase: string): string {
  return phrase.charAt(0).toUpperCase() + phrase.slice(1);
}
