import { SendtalkVerifyError } from '../errors.js';

/** Parses a flag that takes a whole number within [min, max]; the error names the flag and an example. */
export function parseWholeNumber(text: string, flag: string, range: { min: number; max: number }, hint: string, noun?: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < range.min || n > range.max) {
    const what = noun ?? (range.max === Number.MAX_SAFE_INTEGER ? `a whole number from ${range.min} up` : `a whole number from ${range.min} to ${range.max}`);
    throw new SendtalkVerifyError('usage', `${flag} "${text}" is not ${what}.`, { hint });
  }
  return n;
}

/** `--port`: 0 means "pick a free one", which is also what omitting it does. */
export function parsePort(text: string): number {
  return parseWholeNumber(text, '--port', { min: 0, max: 65535 }, 'Pass a port from 1 to 65535, or omit --port (or pass 0) to pick a free one.', 'a port number');
}
