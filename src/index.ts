/**
 * sendtalk-verify as a library: the same pieces the CLI is built from.
 *
 *   import { createVerification, startListener, startEmulator } from 'sendtalk-verify';
 */
export { createVerification, DEFAULT_API_URL, CREATE_PATH, readEnvelope } from './client/create-verification.js';
export type { CreateVerificationOptions, LanguageCode } from './client/create-verification.js';
export { parseVerification, messageFromLink } from './client/parse-verification.js';
export type { Verification } from './client/parse-verification.js';
export { startListener, LISTENER_LIMITS } from './webhook/listener.js';
export type { ListenerOptions, ListenerHandle, Delivery, RefusalReason } from './webhook/listener.js';
export { checkSecret, DEFAULT_SECRET_HEADER } from './webhook/secret.js';
export type { SecretVerdict } from './webhook/secret.js';
export { extractDeliveryFacts, matchDelivery } from './webhook/match.js';
export type { DeliveryFacts } from './webhook/match.js';
export { startEmulator, verifiedPayload } from './emulator/index.js';
export type { EmulatorOptions, EmulatorHandle, EmulatorEvent, EmulatedVerification, WebhookAttempt } from './emulator/index.js';
export { runCreateFlow, joinPublicUrl } from './flow/create-flow.js';
export type { CreateFlowOptions, CreateFlowEvent, CreateResult, CreateStatus, PublicUrlProvider } from './flow/create-flow.js';
export { parsePhone } from './phone.js';
export type { PhoneNumber } from './phone.js';
export { parseDuration, formatDuration } from './duration.js';
export { maskSecret } from './mask.js';
export { SendtalkVerifyError, isSendtalkVerifyError, EXIT_CODES, EXIT_CODE_BY_CATEGORY } from './errors.js';
export type { ErrorCategory } from './errors.js';
export { VERSION } from './version.js';
