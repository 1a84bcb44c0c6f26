export { startEmulator, verifiedPayload, randomCredential } from './emulator.js';
export type { EmulatorOptions, EmulatorHandle, EmulatorEvent, EmulatedVerification, WebhookDelivery, WebhookState, VerifiedEventFacts } from './emulator.js';
export type { WebhookAttempt } from './deliver-webhook.js';
export { parseFault, FAULT_TYPES, type Fault, type FaultType, type QueuedFault } from './faults.js';
export { CONTROL_PREFIX } from './control-api.js';
export { successEnvelope, errorEnvelope, type Envelope } from './envelope.js';
export { RESPONSE_ALIAS_SETS, DEFAULT_SHAPE, type EmulatorShape } from './shapes.js';
