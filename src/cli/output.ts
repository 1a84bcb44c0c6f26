import { redact } from '../mask.js';
import { stderrColours, type Colours } from '../render/style.js';

export interface OutputOptions {
  json?: boolean;
  debug?: boolean;
  quiet?: boolean;
}

/**
 * The one writer of the CLI. Results go to stdout, progress and logs to stderr; with `--json`
 * nothing but JSON reaches stdout. Every line passes through `redact` so that a secret that
 * slipped into a foreign message (an error body, a trace) is masked before it is shown.
 */
export class Output {
  readonly json: boolean;
  readonly debug: boolean;
  readonly quiet: boolean;
  /** stderr is a terminal: spinners and QR codes are allowed. */
  readonly interactive: boolean;
  /** Colours for stderr (off without a terminal, with NO_COLOR, …). */
  readonly c: Colours;
  private readonly secrets: string[] = [];

  constructor(options: OutputOptions = {}, private readonly stdout: NodeJS.WritableStream = process.stdout, private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr) {
    this.json = options.json ?? false;
    this.debug = options.debug ?? false;
    this.quiet = options.quiet ?? false;
    // A terminal that reports no width (some `script`/CI pseudo-terminals) makes spinners redraw
    // forever: treat it as not interactive.
    const columns = (stderr as { columns?: number }).columns ?? 0;
    this.interactive = Boolean(stderr.isTTY) && process.env.TERM !== 'dumb' && columns > 0;
    this.c = stderrColours(process.env, Boolean(stderr.isTTY));
  }

  /** Registers values that must never be shown (API key, webhook secret). */
  protect(...secrets: Array<string | undefined>): void {
    for (const secret of secrets) if (secret) this.secrets.push(secret);
  }

  private clean(text: string): string {
    return redact(text, this.secrets);
  }

  /** A result line on stdout (suppressed under --json, where the document is the result). */
  result(text: string): void {
    if (!this.json) this.stdout.write(`${this.clean(text)}\n`);
  }

  /** One JSON document (or NDJSON line) on stdout. */
  document(value: unknown, pretty = true): void {
    this.stdout.write(`${this.clean(JSON.stringify(value, null, pretty ? 2 : 0))}\n`);
  }

  /** Progress on stderr; --quiet hides it. */
  info(text: string): void {
    if (!this.quiet) this.stderr.write(`${this.clean(text)}\n`);
  }

  success(text: string): void {
    this.info(`${this.c.green('✔')} ${text}`);
  }

  warn(text: string): void {
    this.stderr.write(`${this.c.yellow('⚠')} ${this.clean(text)}\n`);
  }

  error(text: string, hint?: string): void {
    this.stderr.write(`${this.c.red('✖')} ${this.clean(text)}\n`);
    if (hint) this.stderr.write(`  ${this.c.dim(this.clean(hint))}\n`);
  }

  /** --debug lines: HTTP traces, stack traces. */
  trace(text: string): void {
    if (this.debug) this.stderr.write(`${this.c.dim(`[debug] ${this.clean(text)}`)}\n`);
  }

  /** Raw text on stderr (a QR code), unless --quiet. */
  art(text: string): void {
    if (!this.quiet) this.stderr.write(`${text}\n`);
  }

  get errorStream(): NodeJS.WritableStream {
    return this.stderr;
  }
}
