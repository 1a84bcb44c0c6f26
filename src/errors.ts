/**
 * One error type for the whole tool. The category decides the exit code and the kind of hint the
 * command layer prints; the core never prints or exits, it only throws these.
 */
export type ErrorCategory =
  /** Bad flags, bad phone number, missing configuration: the user can fix it by typing something else. */
  | 'usage'
  /** The SendTalk API (or the emulator) refused the request: bad key, bad parameter. */
  | 'api-rejected'
  /** The API could not be reached or answered something unusable (5xx, HTML, timeout). */
  | 'api-unavailable'
  /** We waited for the verified webhook and it did not come in time. */
  | 'timeout'
  /** The verification expired before it was verified. */
  | 'expired'
  /** A checked endpoint failed (`trigger --check`, `doctor`). */
  | 'check-failed'
  /** The tunnel could not be opened, or the user's own public URL does not reach the listener. */
  | 'tunnel'
  /** Ctrl-C or a termination signal. */
  | 'interrupted'
  /** Anything we did not expect: a bug, or an environment problem we do not recognise. */
  | 'internal';

/** Exit code for each category. `--help` prints `EXIT_CODES`; docs/cli.md and README.md list the same codes (test/unit/docs.test.ts). */
export const EXIT_CODE_BY_CATEGORY: Record<ErrorCategory, number> = {
  usage: 2,
  'api-rejected': 4,
  'api-unavailable': 1,
  timeout: 3,
  expired: 3,
  'check-failed': 5,
  tunnel: 6,
  interrupted: 130,
  internal: 1,
};

/** The documented exit codes, in the order they are shown to users. */
export const EXIT_CODES: ReadonlyArray<{ code: number; meaning: string }> = [
  {
    code: 0,
    meaning: 'success: verified, created with --no-wait, or a server (emulator, listen with no\n       --max-events or --timeout) stopped by SIGTERM',
  },
  { code: 1, meaning: 'unexpected error, or the SendTalk API is unavailable' },
  { code: 2, meaning: 'usage or configuration error' },
  { code: 3, meaning: 'timed out or expired before the verified webhook arrived, or the webhook said not verified' },
  { code: 4, meaning: 'rejected by the SendTalk API (API key or parameters)' },
  { code: 5, meaning: 'a checked endpoint failed: trigger (a non-2xx, or a --check case), doctor' },
  { code: 6, meaning: 'the tunnel could not be opened, or the URL of your own tunnel (--tunnel URL) does not reach the listener' },
  { code: 130, meaning: 'interrupted (Ctrl-C or SIGHUP; SIGTERM while creating or checking)' },
];

export interface SendtalkErrorOptions {
  /** What to do next: one line naming the flag or environment variable that fixes it. */
  hint?: string;
  /** Machine-readable code, e.g. the SendTalk error code `40002` or `HeaderValidationFailed`. */
  code?: string;
  /** The request field SendTalk blamed, when it named one. */
  field?: string;
  /** Extra structured detail for `--json` and `--debug` output (never secrets). */
  details?: Record<string, unknown>;
  /** Override the exit code that the category implies. */
  exitCode?: number;
  cause?: unknown;
}

export class SendtalkVerifyError extends Error {
  override readonly name = 'SendtalkVerifyError';
  readonly category: ErrorCategory;
  readonly hint?: string;
  readonly code?: string;
  readonly field?: string;
  readonly details?: Record<string, unknown>;
  readonly exitCode: number;

  constructor(category: ErrorCategory, message: string, options: SendtalkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.category = category;
    this.hint = options.hint;
    this.code = options.code;
    this.field = options.field;
    this.details = options.details;
    this.exitCode = options.exitCode ?? EXIT_CODE_BY_CATEGORY[category];
  }
}

export function isSendtalkVerifyError(error: unknown): error is SendtalkVerifyError {
  return error instanceof SendtalkVerifyError;
}

/** The one wording for a missing API key, shared by the client, the create flow and the CLI. */
export function noApiKeyError(): SendtalkVerifyError {
  return new SendtalkVerifyError('usage', 'No SendTalk API key.', {
    hint: 'Set SENDTALK_API_KEY or pass --api-key; or try the offline demo with --sandbox.',
  });
}

/** The error for work cut short by an abort: the signal's own reason when it is one of ours. */
export function interruptedBy(signal: AbortSignal): SendtalkVerifyError {
  return signal.reason instanceof SendtalkVerifyError ? signal.reason : new SendtalkVerifyError('interrupted', 'Interrupted.');
}
