import { ENV_VARS } from '../config.js';
import type { QrGlyphs } from '../render/qr.js';

/**
 * The terminal the CLI draws its QR code on: its size, which drawings it shows, and whether its
 * background is light. Only the command layer asks: it alone owns the terminal.
 */

type Env = Readonly<Record<string, string | undefined>>;

/** The variable that overrides what is found out about the terminal, for the QR code. */
export const QR_DRAWING_ENV = ENV_VARS.qr;

/** What SENDTALK_QR says, each part optional: whether to draw, the background, the drawing. */
export interface QrSetting {
  /** `always`: even when stderr is not a terminal; `never`: not at all. */
  draw?: 'always' | 'never';
  /** For the code drawn without colours (NO_COLOR), where the terminal does not say. */
  background?: Background;
  /** A drawing for a terminal this file does not know. */
  glyphs?: QrGlyphs;
}

/**
 * SENDTALK_QR, words separated by commas or spaces, e.g. `never`, `light`, `always,sextants`.
 * A word it does not know is ignored, as a terminal's unknown variable would be.
 */
export function qrSetting(value: string | undefined): QrSetting {
  const setting: QrSetting = {};
  for (const word of (value ?? '').toLowerCase().split(/[\s,]+/)) {
    if (word === 'always' || word === 'never') setting.draw = word;
    else if (word === 'dark' || word === 'light') setting.background = word;
    else if (word === 'sextants' || word === 'half-blocks') setting.glyphs = word;
  }
  return setting;
}

/**
 * The terminal's size: the stream's own, else COLUMNS and LINES (which a shell exports, and which
 * tests and `script` set when stderr is not a terminal); unknown means no limit.
 */
export function terminalSize(stream: NodeJS.WritableStream, env: Env = process.env): { columns?: number; rows?: number } {
  const tty = stream as { columns?: number; rows?: number };
  const fromEnv = (name: string): number | undefined => {
    const value = Number(env[name]);
    return Number.isInteger(value) && value > 0 ? value : undefined;
  };
  return { columns: tty.columns || fromEnv('COLUMNS'), rows: tty.rows || fromEnv('LINES') };
}

/**
 * The QR drawings to try, larger first. Sextants (Unicode 13) are missing from most fonts, so they
 * are offered only where the terminal draws them itself, whatever the font; see docs for sources.
 * Behind tmux or screen the outer terminal draws: its variables, when the multiplexer kept them,
 * still say which it is.
 */
export function qrGlyphsFor(env: Env = process.env): QrGlyphs[] {
  const forced = qrSetting(env[QR_DRAWING_ENV]).glyphs;
  if (forced !== undefined) return [forced];
  return drawsSextants(env) ? ['half-blocks', 'sextants'] : ['half-blocks'];
}

/**
 * Whether the terminal draws sextants itself (block drawing of its own, not the font's), by the
 * variables each sets. Sources (docs/qr-code.md has the table): kitty (kitty#3106), WezTerm
 * (custom_block_glyphs), foot 1.7, Alacritty 0.13.2 (#7534), Ghostty (Box.zig), Contour (#437),
 * VTE since 2020, and Windows Terminal (its own glyphs since 1.25; its font, Cascadia, has them
 * since cascadia-code#708). Not iTerm2, Apple's Terminal, or VS Code's default renderer.
 */
function drawsSextants(env: Env): boolean {
  const term = env.TERM ?? '';
  if (env.KITTY_WINDOW_ID || term === 'xterm-kitty') return true;
  if (env.TERM_PROGRAM === 'WezTerm' || env.WEZTERM_PANE !== undefined) return true;
  if (env.TERM_PROGRAM === 'ghostty' || term === 'xterm-ghostty' || env.GHOSTTY_RESOURCES_DIR !== undefined) return true;
  if (term === 'foot' || term.startsWith('foot-')) return true;
  if (env.ALACRITTY_WINDOW_ID !== undefined || env.ALACRITTY_SOCKET !== undefined) return true;
  if (env.TERMINAL_NAME === 'contour') return true;
  if (env.WT_SESSION) return true;
  // VTE_VERSION is major×10000 + minor×100 + micro; 0.62 (2020) drew the Legacy Computing blocks.
  const vte = Number(env.VTE_VERSION);
  return Number.isInteger(vte) && vte >= 6200;
}

/** What a terminal's background is, as far as it says. */
export type Background = 'dark' | 'light';

/**
 * COLORFGBG (rxvt, Konsole, iTerm2): `fg;bg` or `fg;default;bg`, palette numbers. As Vim reads it,
 * a background of 0–6 or 8 is dark and any other number light; `default` says nothing.
 */
export function backgroundFromColorfgbg(value: string | undefined): Background | undefined {
  const last = value?.split(';').at(-1);
  if (last === undefined || !/^\d+$/.test(last)) return undefined;
  const bg = Number(last);
  return bg <= 6 || bg === 8 ? 'dark' : 'light';
}

/** The answer to OSC 11, `ESC ] 11 ; rgb:RRRR/GGGG/BBBB` (1–4 hex digits a channel), as light or dark. */
export function backgroundFromOsc11(reply: string): Background | undefined {
  const match = /\u001b\]11;rgb:([0-9a-f]{1,4})\/([0-9a-f]{1,4})\/([0-9a-f]{1,4})/i.exec(reply);
  if (!match) return undefined;
  const [r, g, b] = match.slice(1).map((hex) => Number.parseInt(hex, 16) / (16 ** hex.length - 1)) as [number, number, number];
  // Rec. 709 luma: a background brighter than mid-grey is light.
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5 ? 'light' : 'dark';
}

/**
 * How long to wait for an answer. A local terminal answers in milliseconds, and one that ignores
 * OSC 11 still answers the attributes request at once; this bound is for a slow ssh link.
 */
const QUERY_TIMEOUT_MS = 1000;

/**
 * Asks the terminal for its background colour (OSC 11), followed by a request every terminal
 * answers (Primary Device Attributes): when that answer comes first, the terminal does not know
 * OSC 11, and the wait ends at once rather than at the time-out. Only on a terminal at both ends.
 * A Ctrl-C typed meanwhile (raw mode makes it a byte) is passed on as the signal it would have been.
 */
export async function queryBackground(
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WritableStream = process.stderr,
  timeoutMs = QUERY_TIMEOUT_MS,
): Promise<Background | undefined> {
  if (!input.isTTY || !(output as { isTTY?: boolean }).isTTY || typeof input.setRawMode !== 'function') return undefined;
  const wasRaw = input.isRaw;
  input.setRawMode(true);
  return new Promise((resolve) => {
    let reply = '';
    const finish = (background: Background | undefined): void => {
      clearTimeout(timer);
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      resolve(background);
    };
    const onData = (chunk: Buffer | string): void => {
      reply += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
      if (reply.includes('\u0003')) {
        finish(undefined);
        process.kill(process.pid, 'SIGINT');
        return;
      }
      const background = backgroundFromOsc11(reply);
      if (background || /\u001b\[\?[\d;]*c/.test(reply)) finish(background);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    input.on('data', onData);
    input.resume();
    output.write('\u001b]11;?\u0007\u001b[c');
  });
}

/**
 * The background for a drawing without colours: the user's word (SENDTALK_QR=dark|light), else the
 * terminal's answer, else COLORFGBG (set once when the terminal started, and copied through ssh
 * and tmux, so it can be stale), else dark (the commonest).
 */
export async function terminalBackground(chosen: Background | undefined, env: Env = process.env): Promise<Background> {
  return chosen ?? (await queryBackground()) ?? backgroundFromColorfgbg(env.COLORFGBG) ?? 'dark';
}
