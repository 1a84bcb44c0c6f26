export { sendEvent, type SendEventOptions, type SendReport } from './send-event.js';
export { checkEndpoint, type CheckOptions, type CheckReport, type CaseResult } from './check-endpoint.js';
export { CHECK_CASE_NAMES, DEFAULT_OVERSIZE_BYTES, type CheckCaseName } from './check-cases.js';
export { readDeliveryLog, parseDeliveryLog, replayDeliveries, type DeliveryLog, type ReplayOptions, type ReplayReport, type ReplayResult } from './replay.js';
export { builtInEvent, fileEvent, DEFAULT_EVENT_PHONE, type EventFacts, type VerifiedEvent } from './event.js';
export { DEFAULT_REQUEST_TIMEOUT_MS, checkWebhookUrl, type TriggerTarget } from './target.js';
export type { Outcome } from './outcome.js';
export { runExchange, type HttpExchange, type OutgoingRequest, type ExchangeFailure, type FailureKind } from '../http/client.js';
