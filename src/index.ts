/**
 * sendtalk-verify as a library: the same pieces the CLI is built from.
 *
 *   import { createVerification, startListener, startEmulator } from 'sendtalk-verify';
 */
export { createVerification, DEFAULT_API_URL, CREATE_PATH, readEnvelope } from './client/create-verification.js';
export type { CreateVerificationOptions, LanguageCode } from './client/create-verification.js';
export { parseVerification, messageFromLink } from './client/parse-verification.js';
export type { Verification } from './client/parse-verification.js';
export { startListener, LISTENER_LIMITS, PROBE_HEADER } from './webhook/listener.js';
export type { ListenerOptions, ListenerHandle, Delivery, RefusalReason } from './webhook/listener.js';
export { checkSecret, configuredSecret, requestSecretChecker, locateSecret, ACCEPTED_SECRET_HEADERS, DEFAULT_SECRET_HEADER } from './webhook/secret.js';
export type { SecretVerdict, SecretLocation } from './webhook/secret.js';
export { extractDeliveryFacts, matchDelivery, eventVerdict } from './webhook/match.js';
export type { DeliveryTally } from './webhook/delivery-tally.js';
export type { DeliveryFacts } from './webhook/match.js';
export { startEmulator, verifiedPayload, parseFault, FAULT_TYPES, CONTROL_PREFIX, RESPONSE_ALIAS_SETS, DEFAULT_SHAPE } from './emulator/index.js';
export type { EmulatorOptions, EmulatorHandle, EmulatorEvent, EmulatedVerification, WebhookAttempt, WebhookDelivery, WebhookState, Fault, FaultType, QueuedFault, EmulatorShape } from './emulator/index.js';
export { sendEvent, checkEndpoint, readDeliveryLog, parseDeliveryLog, replayDeliveries, builtInEvent, fileEvent, CHECK_CASE_NAMES } from './trigger/index.js';
export type { SendReport, CheckReport, CaseResult, CheckCaseName, ReplayReport, ReplayResult, DeliveryLog, TriggerTarget, Outcome, VerifiedEvent } from './trigger/index.js';
export { runCreateFlow, joinPublicUrl } from './flow/create-flow.js';
export type { CreateFlowOptions, CreateFlowEvent, CreateResult, CreateStatus } from './flow/create-flow.js';
export type { PublicUrl, PublicUrlProvider } from './tunnel/expose-listener.js';
export { runListenFlow } from './flow/listen-flow.js';
export type { ListenFlowOptions, ListenFlowEvent, ListenResult, ListenEnd } from './flow/listen-flow.js';
export { openTunnel, probePublicUrl, newProbeToken, DEFAULT_TUNNEL_HOST } from './tunnel/index.js';
export { exposeListener } from './tunnel/expose-listener.js';
export type { ExposedListener, ExposeHooks, TunnelChoice, TunnelUpdate } from './tunnel/expose-listener.js';
export type { TunnelOptions, TunnelHandle, TunnelEvent, TunnelConnector, TunnelSession, SessionRequest, SessionListener, ProbeResult } from './tunnel/index.js';
export { forwardDelivery } from './webhook/forward-delivery.js';
export type { ForwardTarget, ForwardResult } from './webhook/forward-delivery.js';
export { openDeliveryLog } from './webhook/delivery-log-writer.js';
export type { DeliveryLogWriter } from './webhook/delivery-log-writer.js';
export { parsePhone } from './phone.js';
export type { PhoneNumber } from './phone.js';
export { parseDuration, formatDuration } from './duration.js';
export { maskSecret } from './mask.js';
export { SendtalkVerifyError, isSendtalkVerifyError, EXIT_CODES, EXIT_CODE_BY_CATEGORY } from './errors.js';
export type { ErrorCategory } from './errors.js';
export { VERSION } from './version.js';
export { startInspector } from './inspector/inspector.js';
export type { InspectorOptions, InspectorHandle } from './inspector/inspector.js';
export type { PageState, PageDelivery, PageStatus } from './inspector/page-state.js';
