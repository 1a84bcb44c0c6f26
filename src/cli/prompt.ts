import { createInterface } from 'node:readline/promises';

/**
 * Asks one question on the terminal. Only ever called when both stdin and stderr are terminals:
 * a CI job or a pipe must get an error naming the flag, never a prompt that waits forever.
 */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY) && process.env.CI === undefined;
}

export async function ask(question: string, signal?: AbortSignal): Promise<string | undefined> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return (await rl.question(question, { signal })).trim();
  } catch {
    return undefined; // Ctrl-C or Ctrl-D at the prompt
  } finally {
    rl.close();
  }
}
