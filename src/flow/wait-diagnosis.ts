import { ENV_VARS } from '../config.js';
import type { DeliveryTally } from '../webhook/delivery-tally.js';
import type { RefusalReason } from '../webhook/listener.js';
import { describeSecretHeaders, describeSecretLocation, secretHeadersFor } from '../webhook/secret.js';

/** Why a wait most likely ended without what it waited for, and what to do: one line each. */
export interface WaitDiagnosis {
  cause: string;
  hint: string;
}

export interface WaitContext {
  /** The listener is reachable only from this machine (`--tunnel none`). */
  local: boolean;
  /**
   * `create --sandbox`: the embedded emulator is the sender, with a secret generated for the run and
   * the listener's own URL, so the dashboard's Verification Config plays no part in what went wrong.
   */
  sandbox?: boolean;
  /** The webhook URL that was waited on, to compare with the dashboard's. */
  webhookUrl?: string;
  /** The listener's path. */
  path?: string;
  /** The header SENDTALK_SECRET_HEADER pinned, if any. */
  secretHeader?: string;
  /** What would give more time: `--timeout` or `--expiry`. */
  moreTime?: string;
  /** How many matched deliveries were waited for (`--max-events`). @default 1 */
  wanted?: number;
}

const LABEL: Partial<Record<RefusalReason, string>> = {
  'secret-mismatch': 'secret key is invalid',
  'secret-missing': 'secret key is missing',
  'not-found': 'sent to another path',
  'method-not-allowed': 'wrong method',
  'not-json': 'not JSON',
  'not-object': 'not a JSON object',
  'unsupported-media-type': 'not JSON',
  'too-large': 'too large',
  'too-deep': 'nested too deeply',
  'too-many-headers': 'too many headers',
  'acknowledge-failed': 'could not be recorded',
};

const deliveries = (n: number): string => `${n} deliver${n === 1 ? 'y' : 'ies'}`;
const refusedAs = (n: number, what: string): string => `${deliveries(n)} arrived and ${n === 1 ? 'was' : 'were'} refused: ${what}`;

/**
 * Reads what arrived during a wait and names the likeliest cause first: a refusal that says what is
 * misconfigured beats deliveries for another verification, which beat silence. Never a secret.
 */
export function diagnoseWait(t: DeliveryTally, context: WaitContext): WaitDiagnosis {
  if (context.sandbox) return diagnoseSandboxWait(t, context);
  const by = t.refusedBy;
  if (by['secret-mismatch']) {
    return {
      cause: refusedAs(by['secret-mismatch'], 'secret key is invalid'),
      hint: `${ENV_VARS.secret} (or --secret) must be the secret shown after the last save of Verification Config: each save makes a new one.`,
    };
  }
  if (by['secret-missing']) {
    const where = t.secretLocations[0];
    if (where)
      return {
        cause: `${refusedAs(by['secret-missing'], 'secret key is missing')}; ${describeSecretLocation(where)}`,
        hint: 'Or send the secret in X-Secret-Key, as SendTalk does.',
      };
    const expected = describeSecretHeaders(secretHeadersFor(context.secretHeader));
    return {
      cause: refusedAs(by['secret-missing'], `secret key is missing (no ${expected} header)`),
      hint: 'Is the secret enabled in Verification Config? A sender using another header needs SENDTALK_SECRET_HEADER.',
    };
  }
  if (by['not-found']) {
    return {
      cause: refusedAs(by['not-found'], 'sent to another path'),
      hint: `The Webhook URL in Verification Config must end in ${context.path ?? '/webhook'} (or set SENDTALK_WEBHOOK_PATH to its path).`,
    };
  }
  if (t.refused > 0) {
    const reasons = [...new Set(Object.keys(by).map((r) => LABEL[r as RefusalReason] ?? r))].join(', ');
    return { cause: refusedAs(t.refused, reasons), hint: '`listen` shows each delivery and why it was refused.' };
  }
  if (t.otherVerification > 0) {
    return {
      cause: `${deliveries(t.otherVerification)} arrived for another verification (${t.others.join(', ')})`,
      hint: "Send the message from this run's link, unchanged: a verification created elsewhere (another run, your app) has another id.",
    };
  }
  const more = context.moreTime ? `; ${context.moreTime}` : '';
  if (t.matched > 0) {
    return {
      cause: `Only ${t.matched} of ${deliveries(context.wanted ?? 1)} arrived`,
      hint: `Each verification sends one webhook: send one message per verification waited for${more}.`,
    };
  }
  if (context.local) {
    return {
      cause: 'No delivery arrived',
      hint: `The listener is local (--tunnel none): SendTalk cannot reach it; drop --tunnel none or pass the URL of your own tunnel to --tunnel${more}.`,
    };
  }
  return {
    cause: 'No delivery arrived',
    hint: `Check that the Webhook URL in Verification Config is ${context.webhookUrl ?? "this listener's URL"}, and that the message was sent unchanged${more}.`,
  };
}

/**
 * The sandbox's emulator always sends the right secret to the right path, once, after
 * SENDTALK_SANDBOX_DELAY: a refusal came from another sender, and silence means the delay outlasted the wait.
 */
function diagnoseSandboxWait(t: DeliveryTally, context: WaitContext): WaitDiagnosis {
  if (t.refused > 0) {
    const reasons = [...new Set(Object.keys(t.refusedBy).map((r) => LABEL[r as RefusalReason] ?? r))].join(', ');
    return { cause: refusedAs(t.refused, reasons), hint: SANDBOX_OTHER_SENDER };
  }
  if (t.otherVerification > 0) {
    return { cause: `${deliveries(t.otherVerification)} arrived for another verification (${t.others.join(', ')})`, hint: SANDBOX_OTHER_SENDER };
  }
  const more = context.moreTime ? ` (or ${context.moreTime})` : '';
  return {
    cause: 'No delivery arrived',
    hint: `The sandbox's emulator delivers SENDTALK_SANDBOX_DELAY after the verification is created (default 2s): set a SENDTALK_SANDBOX_DELAY shorter than the wait${more}.`,
  };
}

/** What a refusal in the sandbox means: only the emulator knows the run's secret. */
export const SANDBOX_OTHER_SENDER =
  "Not sent by the sandbox's emulator, which alone knows this run's generated secret: to test your own sender, run `listen` or the `emulator` command.";

/** `3 received; 1 for another verification; 2 refused: 2× secret key is invalid`, for a closing line. */
export function describeTally(t: DeliveryTally): string {
  const parts = [
    t.matched ? `${t.matched} matched` : '',
    t.otherVerification ? `${t.otherVerification} for another verification` : '',
    t.refused
      ? `${t.refused} refused: ${Object.entries(t.refusedBy)
          .map(([r, n]) => `${n}× ${LABEL[r as RefusalReason] ?? r}`)
          .join(', ')}`
      : '',
  ].filter(Boolean);
  return `${t.received} received${parts.length ? `; ${parts.join('; ')}` : ''}`;
}
