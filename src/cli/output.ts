import { redactor } from '../mask.js';
import { escapeControls, escapeJsonControls } from '../render/escape-controls.js';
import { PLAIN, streamColours, type Colours } from '../render/style.js';

export interface OutputOptions {
  json?: boolean;
  debug?: boolean;
  quiet?: boolean;
}

/**
 * The one writer of the CLI. Results go to stdout, progress and logs to stderr; with `--json`
 * nothing but JSON reaches stdout. Every line passes through `redactor` so that a secret that
 * slipped into a foreign message (an error body, a trace) is masked before it is shown, and
 * through `escapeControls`, so that text a peer chose cannot drive the terminal.
 */
export class Output {
  readonly json: boolean;
  readonly debug: boolean;
  readonly quiet: boolean;
  /** stderr is a terminal: spinners and QR codes are allowed. */
  readonly interactive: boolean;
  /** Colours for stderr (off without a terminal, with NO_COLOR, …). */
  readonly c: Colours;
  /** Colours for result lines on stdout, by stdout's own rule (see `streamColours`). */
  readonly resultColours: Colours;
  private readonly secrets: string[] = [];
  private masked: (text: string) => string = (text) => text;
  /** NDJSON lines not yet written; see `line`. */
  private pending: string[] = [];
  private flushScheduled = false;

  constructor(
    options: OutputOptions = {},
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
  ) {
    this.json = options.json ?? false;
    this.debug = options.debug ?? false;
    this.quiet = options.quiet ?? false;
    // A terminal that reports no width (some `script`/CI pseudo-terminals) makes spinners redraw
    // forever: treat it as not interactive.
    const columns = (stderr as { columns?: number }).columns ?? 0;
    this.interactive = Boolean(stderr.isTTY) && process.env.TERM !== 'dumb' && columns > 0;
    this.c = stderr === process.stderr ? streamColours('stderr') : PLAIN;
    this.resultColours = stdout === process.stdout ? streamColours('stdout') : PLAIN;
  }

  /** The values registered with `protect`. */
  get protectedValues(): readonly string[] {
    return this.secrets;
  }

  /** Registers values that must never be shown (API key, webhook secret). */
  protect(...secrets: Array<string | undefined>): void {
    for (const secret of secrets) if (secret) this.secrets.push(secret);
    this.masked = redactor(this.secrets);
  }

  /** Masked, and its control characters shown rather than obeyed (the CLI's own colours kept). */
  private clean(text: string, colours: Colours = this.c): string {
    return escapeControls(this.masked(text), colours.enabled);
  }

  /** `text` with every protected value masked: for what is written elsewhere (a CI step summary). */
  mask(text: string): string {
    return this.clean(text);
  }

  /** `text` with every protected value masked and nothing else changed (a body to be re-encoded). */
  maskSecrets(text: string): string {
    return this.masked(text);
  }

  /** A result line on stdout (suppressed under --json, where the document is the result). */
  result(text: string): void {
    if (!this.json) this.out(`${this.clean(text, this.resultColours)}\n`);
  }

  /** One JSON document (or NDJSON line) on stdout. */
  document(value: unknown, pretty = true): void {
    this.out(`${this.masked(escapeJsonControls(JSON.stringify(value, null, pretty ? 2 : 0)))}\n`);
  }

  /**
   * One NDJSON line on stdout, written with the others of the same event-loop turn in one write.
   * A stream under load (`listen --json`) would otherwise pay a system call per delivery, which
   * costs more than handling the delivery. Anything else written to stdout or stderr, and `flush`,
   * writes the waiting lines first, so the order of all output is kept.
   */
  line(value: unknown): void {
    this.queue(this.masked(escapeJsonControls(JSON.stringify(value))));
  }

  /**
   * The line `line({ ...own, ...sender })` writes, for a record whose `own` fields this process
   * wrote itself (numbers, its own words, base64 of a body masked before encoding) and whose
   * `sender` fields a peer chose. Only the latter can hold a secret or a control character, so only
   * they are masked and escaped: over a whole `listen --json` delivery line, those two passes cost
   * about a third of writing it (the redactor looks for every piece of every protected value).
   */
  recordLine<Own extends { [K in keyof Own]: string | number | boolean | null | undefined }>(own: Own, sender: object): void {
    const head = JSON.stringify(own);
    const tail = this.masked(escapeJsonControls(JSON.stringify(sender)));
    this.queue(tail === '{}' ? head : head === '{}' ? tail : `${head.slice(0, -1)},${tail.slice(1)}`);
  }

  private queue(line: string): void {
    this.pending.push(`${line}\n`);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes the lines `line` holds. The command layer calls it before the process exits. */
  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.stdout.write(text);
  }

  private out(text: string): void {
    this.flush();
    this.stdout.write(text);
  }

  private err(text: string): void {
    this.flush();
    this.stderr.write(text);
  }

  /** Progress on stderr; --quiet hides it. */
  info(text: string): void {
    if (!this.quiet) this.err(`${this.clean(text)}\n`);
  }

  success(text: string): void {
    this.info(`${this.c.green('✔')} ${text}`);
  }

  warn(text: string): void {
    this.err(`${this.c.yellow('⚠')} ${this.clean(text)}\n`);
  }

  error(text: string, hint?: string): void {
    this.err(`${this.c.red('✖')} ${this.clean(text)}\n`);
    if (hint) this.err(`  ${this.c.dim(this.clean(hint))}\n`);
  }

  /** --debug lines: HTTP traces, stack traces. */
  trace(text: string): void {
    if (this.debug) this.err(`${this.c.dim(`[debug] ${this.clean(text)}`)}\n`);
  }

  /** Raw text on stderr (a QR code), unless --quiet. */
  art(text: string): void {
    if (!this.quiet) this.err(`${text}\n`);
  }

  get errorStream(): NodeJS.WritableStream {
    this.flush();
    return this.stderr;
  }
}

/**
 * stdout under `--json` is NDJSON (`listen`, `emulator`): every document on one line, each with a
 * `type`, written a turn at a time (see `line`). The error document the top level prints on failure
 * gets `type: "error"` too, so a reader can switch on it.
 */
export class NdjsonOutput extends Output {
  override document(value: unknown): void {
    const typed =
      typeof value === 'object' && value !== null && !('type' in value) && (value as { status?: unknown }).status === 'error'
        ? { type: 'error', ...value }
        : value;
    this.line(typed);
  }
}
