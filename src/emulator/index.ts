export { startEmulator, verifiedPayload, randomCredential } from './emulator.js';
export type { EmulatorOptions, EmulatorHandle, EmulatorEvent, EmulatedVerification } from './emulator.js';
export type { WebhookAttempt } from './deliver-webhook.js';
export { successEnvelope, errorEnvelope, type Envelope } from './envelope.js';
