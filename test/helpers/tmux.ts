import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { BIN, cleanEnv } from './cli.js';
import type { Theme } from './terminal-screen.js';
import { until } from './until.js';

const run = promisify(execFile);

/** Default colours a theme's terminal answers OSC 11 with (tmux answers for the pane from its window-style). */
const STYLE: Record<Theme, string> = { dark: 'bg=#1e1e1e,fg=#d3d7cf', light: 'bg=#ffffff,fg=#2e3436' };

/**
 * A terminal of a given size running the built CLI: a tmux server of its own (a private socket, no
 * user configuration), whose pane is a real pseudo-terminal. `screen()` is what the window shows now,
 * with its colours; `resize()` changes the window as a user dragging it would (the CLI gets SIGWINCH).
 * tmux is Debian's package; `.ci/run` installs it when missing.
 */
export class TmuxTerminal {
  private constructor(private readonly socket: string) {}

  static async start(
    args: string[],
    options: { columns: number; rows: number; theme: Theme; env?: Record<string, string | undefined> },
  ): Promise<TmuxTerminal> {
    const terminal = new TmuxTerminal(`sendtalk-verify-test-${randomBytes(4).toString('hex')}`);
    // The pane's environment: the user's, without anything of ours; tmux's own TERM (screen) has colours.
    const env = cleanEnv({ NO_COLOR: undefined, TMUX: undefined, TERM_PROGRAM: undefined, ...options.env });
    const command = [process.execPath, BIN, ...args].map(quote).join(' ');
    // The pane stays after the CLI exits, so a test can still read its last screen.
    await terminal.tmux(['-f', '/dev/null', 'new-session', '-d', '-x', String(options.columns), '-y', String(options.rows), 'sleep 3600'], env);
    await terminal.tmux(['set-option', '-g', 'window-style', STYLE[options.theme]]);
    await terminal.tmux(['set-option', '-g', 'remain-on-exit', 'on']);
    await terminal.tmux(['set-option', '-g', 'window-size', 'manual']);
    await terminal.tmux(['set-option', '-g', 'history-limit', '5000']);
    // A cleared screen is not copied into the history (tmux's own habit): the history then holds
    // only what scrolled off, as in most terminals.
    await terminal.tmux(['set-option', '-g', 'scroll-on-clear', 'off']);
    // The variables tmux sets itself (TERM_PROGRAM=tmux) are dropped for the ones the test chose.
    const exports = Object.entries(options.env ?? {}).map(([key, value]) => (value === undefined ? `unset ${key}` : `export ${key}=${quote(value)}`));
    await terminal.tmux(['respawn-pane', '-k', [...exports, `exec ${command}`].join('; ')]);
    return terminal;
  }

  /** The visible window, one line a row, with its SGR colours (`tmux capture-pane -e`). */
  async screen(): Promise<string> {
    return (await this.tmux(['capture-pane', '-p', '-e', '-N'])).stdout.replace(/\n$/, '');
  }

  /** The visible window as text: no colours, the rows of a wrapped line joined, trailing spaces trimmed. */
  async text(): Promise<string> {
    return (await this.tmux(['capture-pane', '-p', '-J'])).stdout.replace(/\n+$/, '');
  }

  /** Everything printed, scrolled-off lines included, plain, wrapped lines joined. */
  async history(): Promise<string> {
    return (await this.tmux(['capture-pane', '-p', '-J', '-S', '-'])).stdout;
  }

  /** Waits until the window shows text matching `pattern`; returns the screen. */
  async waitFor(pattern: RegExp, what: string, timeoutMs = 15_000): Promise<string> {
    let last = '';
    await until(async () => pattern.test((last = await this.screen())), what, { timeoutMs, everyMs: 100, detail: () => last });
    return last;
  }

  async resize(columns: number, rows: number): Promise<void> {
    await this.tmux(['resize-window', '-x', String(columns), '-y', String(rows)]);
  }

  /** Whether the CLI is still running, and its exit status once it is not. */
  async exitStatus(): Promise<number | undefined> {
    const { stdout } = await this.tmux(['display-message', '-p', '#{pane_dead} #{pane_dead_status}']);
    const [dead, status] = stdout.trim().split(' ');
    return dead === '1' ? Number(status) : undefined;
  }

  /** Ends the CLI (SIGHUP, as closing a window does) and the tmux server. */
  async kill(): Promise<void> {
    await this.tmux(['kill-server']).catch(() => {});
  }

  private tmux(args: string[], env?: Record<string, string>): Promise<{ stdout: string }> {
    return run('tmux', ['-L', this.socket, ...args], { env: env ?? cleanEnv(), encoding: 'utf8' });
  }
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
