import { createInterface } from 'node:readline/promises';
import { SendtalkVerifyError } from '../errors.js';

/**
 * Whether a question may be asked: only when both stdin and stderr are terminals and not in CI.
 * A CI job or a pipe must get an error naming the flag, never a prompt that waits forever.
 */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY) && process.env.CI === undefined;
}

/**
 * Asks one question; resolves with the trimmed answer, or undefined on Ctrl-D (end of input).
 * Ctrl-C at the prompt is an interruption like anywhere else: it rejects with exit code 130.
 */
export function ask(question: string): Promise<string | undefined> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  return new Promise<string | undefined>((resolve, reject) => {
    // readline/promises leaves a pending question unsettled when the interface closes, and an empty
    // event loop would then end the process with exit 0: settle it from the events instead.
    rl.on('SIGINT', () => {
      reject(new SendtalkVerifyError('interrupted', 'Interrupted (SIGINT).'));
      rl.close();
    });
    rl.on('close', () => resolve(undefined)); // Ctrl-D; a no-op after an answer or Ctrl-C
    rl.question(question).then((answer) => {
      resolve(answer.trim());
      rl.close();
    }, () => resolve(undefined));
  });
}
