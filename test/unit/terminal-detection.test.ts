import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { backgroundFromColorfgbg, backgroundFromOsc11, qrGlyphsFor, qrSetting, queryBackground } from '../../src/cli/terminal.js';

describe('which terminals get sextants', () => {
  const both = ['half-blocks', 'sextants'];
  it.each([
    ['kitty', { KITTY_WINDOW_ID: '1', TERM: 'xterm-kitty' }],
    ['kitty over ssh (TERM kept)', { TERM: 'xterm-kitty' }],
    ['WezTerm', { TERM_PROGRAM: 'WezTerm' }],
    ['WezTerm inside tmux', { TERM_PROGRAM: 'tmux', WEZTERM_PANE: '0' }],
    ['Ghostty', { TERM_PROGRAM: 'ghostty', TERM: 'xterm-ghostty' }],
    ['foot', { TERM: 'foot' }],
    ['foot-extra', { TERM: 'foot-extra' }],
    ['Alacritty', { ALACRITTY_WINDOW_ID: '94371840', TERM: 'alacritty' }],
    ['Contour', { TERMINAL_NAME: 'contour' }],
    ['Windows Terminal', { WT_SESSION: '5d9d4c1a-0000-0000-0000-000000000000' }],
    ['GNOME Terminal (VTE 0.76)', { VTE_VERSION: '7600', TERM: 'xterm-256color' }],
  ])('%s draws them: both drawings, half blocks first', (_name, env) => {
    expect(qrGlyphsFor(env)).toEqual(both);
  });

  it.each([
    ['iTerm2', { TERM_PROGRAM: 'iTerm.app', LC_TERMINAL: 'iTerm2' }],
    ["Apple's Terminal", { TERM_PROGRAM: 'Apple_Terminal' }],
    ['VS Code', { TERM_PROGRAM: 'vscode' }],
    ['an old VTE (0.60)', { VTE_VERSION: '6003' }],
    ['xterm', { TERM: 'xterm-256color', XTERM_VERSION: 'XTerm(390)' }],
    ['tmux with nothing known outside', { TERM_PROGRAM: 'tmux', TERM: 'tmux-256color' }],
    ['nothing at all', {}],
  ])('%s: half blocks only', (_name, env) => {
    expect(qrGlyphsFor(env)).toEqual(['half-blocks']);
  });

  it('SENDTALK_QR forces either drawing, whatever the terminal; another value is ignored', () => {
    expect(qrGlyphsFor({ SENDTALK_QR: 'sextants' })).toEqual(['sextants']);
    expect(qrGlyphsFor({ SENDTALK_QR: 'half-blocks', KITTY_WINDOW_ID: '1' })).toEqual(['half-blocks']);
    expect(qrGlyphsFor({ SENDTALK_QR: 'braille', KITTY_WINDOW_ID: '1' })).toEqual(both);
    expect(qrGlyphsFor({ SENDTALK_QR: 'always,sextants' })).toEqual(['sextants']);
  });

  it('SENDTALK_QR is words: whether to draw, the background and the drawing, in any order and case', () => {
    expect(qrSetting(undefined)).toEqual({});
    expect(qrSetting('never')).toEqual({ draw: 'never' });
    expect(qrSetting('Always, LIGHT half-blocks')).toEqual({ draw: 'always', background: 'light', glyphs: 'half-blocks' });
    expect(qrSetting('dark,sextants')).toEqual({ background: 'dark', glyphs: 'sextants' });
    expect(qrSetting('braille, sometimes')).toEqual({});
  });
});

describe("the terminal's background", () => {
  it('COLORFGBG, read as Vim reads it: 0–6 and 8 dark, other numbers light, default unknown', () => {
    expect(backgroundFromColorfgbg('15;0')).toBe('dark');
    expect(backgroundFromColorfgbg('0;15')).toBe('light');
    expect(backgroundFromColorfgbg('0;7')).toBe('light');
    expect(backgroundFromColorfgbg('7;8')).toBe('dark');
    expect(backgroundFromColorfgbg('0;default;15')).toBe('light');
    expect(backgroundFromColorfgbg('12;6')).toBe('dark');
    expect(backgroundFromColorfgbg('default;default')).toBeUndefined();
    expect(backgroundFromColorfgbg('')).toBeUndefined();
    expect(backgroundFromColorfgbg(undefined)).toBeUndefined();
  });

  it('an OSC 11 answer, in 1 to 4 hex digits a channel, BEL- or ST-terminated, is light above mid-grey', () => {
    expect(backgroundFromOsc11('\u001b]11;rgb:ffff/ffff/ffff\u0007')).toBe('light');
    expect(backgroundFromOsc11('\u001b]11;rgb:1e1e/1e1e/1e1e\u001b\\')).toBe('dark');
    expect(backgroundFromOsc11('\u001b]11;rgb:fd/f6/e3\u0007')).toBe('light'); // Solarized light
    expect(backgroundFromOsc11('\u001b]11;rgb:0/2/3\u0007')).toBe('dark');
    // Pure blue is bright to the eye of a colour picker, dark to one's own: luma decides.
    expect(backgroundFromOsc11('\u001b]11;rgb:0000/0000/ffff\u0007')).toBe('dark');
    expect(backgroundFromOsc11('\u001b]11;rgb:8080/8080/8080\u0007')).toBe('light');
    expect(backgroundFromOsc11('\u001b]11;rgb:7f7f/7f7f/7f7f\u0007')).toBe('dark');
    expect(backgroundFromOsc11('\u001b[?1;2c')).toBeUndefined();
  });

  /** A terminal on both ends: what the CLI writes goes to `asked`; `answer` is what the terminal types back. */
  function fakeTerminal(answer?: string) {
    const input = new PassThrough() as unknown as NodeJS.ReadStream & { rawModes: boolean[] };
    const rawModes: boolean[] = [];
    Object.assign(input, {
      isTTY: true,
      isRaw: false,
      rawModes,
      setRawMode: (mode: boolean) => {
        rawModes.push(mode);
        return input;
      },
    });
    let asked = '';
    const output = new PassThrough();
    Object.assign(output, { isTTY: true });
    output.on('data', (chunk: Buffer) => {
      asked += chunk.toString();
      if (answer !== undefined) setImmediate(() => (input as unknown as PassThrough).write(answer));
    });
    return { input, output, asked: () => asked, rawModes };
  }

  it('asks OSC 11 then the device attributes, reads the answer, and puts the terminal back as it was', async () => {
    const terminal = fakeTerminal('\u001b]11;rgb:ffff/ffff/ffff\u0007\u001b[?62;22c');
    expect(await queryBackground(terminal.input, terminal.output, 5000)).toBe('light');
    expect(terminal.asked()).toBe('\u001b]11;?\u0007\u001b[c');
    expect(terminal.rawModes).toEqual([true, false]);
  });

  it('a terminal that answers only the device attributes ends the wait at once, with no answer', async () => {
    const terminal = fakeTerminal('\u001b[?1;2c');
    const started = Date.now();
    expect(await queryBackground(terminal.input, terminal.output, 60_000)).toBeUndefined();
    // Far below the time-out: the attributes' answer ended the wait.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(terminal.rawModes).toEqual([true, false]);
  });

  it('a terminal that answers nothing: undefined after the time-out', async () => {
    const terminal = fakeTerminal();
    expect(await queryBackground(terminal.input, terminal.output, 50)).toBeUndefined();
    expect(terminal.rawModes).toEqual([true, false]);
  });

  it('asks nothing when either end is not a terminal', async () => {
    const terminal = fakeTerminal('\u001b]11;rgb:ffff/ffff/ffff\u0007');
    Object.assign(terminal.output, { isTTY: false });
    expect(await queryBackground(terminal.input, terminal.output, 50)).toBeUndefined();
    expect(terminal.asked()).toBe('');
  });
});
