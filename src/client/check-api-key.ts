import { SendtalkVerifyError } from '../errors.js';
import { postToCreateEndpoint, readEnvelope, type EndpointOptions } from './create-verification.js';

export type ApiKeyVerdict =
  /** SendTalk answered and took the key: it complained about the (deliberately) empty phone instead. */
  | { reachable: true; keyAccepted: true; detail: string }
  /** SendTalk answered and refused the key. */
  | { reachable: true; keyAccepted: false; detail: string }
  /** No usable answer: network, 5xx, not JSON. */
  | { reachable: false; keyAccepted?: undefined; detail: string; hint?: string };

/**
 * Checks that the API answers and accepts the key **without creating a verification**: it sends a
 * create request whose `userPhone` is empty. SendTalk checks the `API-Key` header before the
 * parameters, so a parameter-validation error means the key passed, and a header-validation error
 * means it did not.
 */
export async function checkApiKey(options: EndpointOptions): Promise<ApiKeyVerdict> {
  let envelope: unknown;
  try {
    envelope = await postToCreateEndpoint({ userPhone: '', languageCode: 'en' }, { retries: 0, ...options });
  } catch (error) {
    if (error instanceof SendtalkVerifyError && error.category === 'interrupted') throw error;
    if (error instanceof SendtalkVerifyError && error.category === 'api-rejected' && isKeyProblem(error)) {
      return { reachable: true, keyAccepted: false, detail: error.message };
    }
    const known = error instanceof SendtalkVerifyError ? error : undefined;
    return { reachable: false, detail: known?.message ?? (error as Error).message, hint: known?.hint };
  }
  try {
    readEnvelope(envelope);
    // Nothing should accept an empty phone; if something did, the key was at least accepted.
    return { reachable: true, keyAccepted: true, detail: 'the API accepted a request with an empty phone (unexpected, but the key works)' };
  } catch (error) {
    if (!(error instanceof SendtalkVerifyError)) throw error;
    if (error.category === 'api-rejected' && isKeyProblem(error)) return { reachable: true, keyAccepted: false, detail: error.message };
    if (error.category === 'api-rejected') {
      const said = error.message.replace(/^SendTalk rejected the request: /, '').replace(/ \(.*\)\.$|\.$/, '');
      return { reachable: true, keyAccepted: true, detail: `key accepted (the empty phone was refused as expected: "${said}")` };
    }
    return { reachable: false, detail: error.message, hint: error.hint };
  }
}

/** `readEnvelope` tells a refused key from a refused parameter; HTTP 401/403 without an envelope count too. */
function isKeyProblem(error: SendtalkVerifyError): boolean {
  return error.details?.keyProblem === true || [401, 403].includes(Number(error.details?.httpStatus));
}
