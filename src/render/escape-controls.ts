/** Control characters a terminal acts on (tab and newline excepted), or an SGR colour sequence. */
const CONTROL = /\u001b\[[0-9;]*m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const ANY_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/**
 * Makes text safe to write to a terminal: every control character becomes visible (`\x1b`, `\x07`,
 * `\r`…), so a value a peer chose — a payload field, an API message, a tunnel server's error —
 * cannot clear the screen, set the window title, move the cursor or overwrite a line. With
 * `keepColours`, plain colour sequences (`ESC [ … m`, what the CLI's own colours are made of)
 * pass; every other escape sequence is still shown, not obeyed.
 */
export function escapeControls(text: string, keepColours = false): string {
  if (!ANY_CONTROL.test(text)) return text;
  return text.replace(CONTROL, (match) => {
    if (match.length > 1) return keepColours ? match : `\\x1b${match.slice(1)}`;
    const code = match.charCodeAt(0);
    if (code === 0x0d) return '\\r';
    return `\\x${code.toString(16).padStart(2, '0')}`;
  });
}
