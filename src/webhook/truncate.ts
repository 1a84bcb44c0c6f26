/** `text` cut to `max` characters with an ellipsis, so that what a client sends cannot flood a message or a log. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
