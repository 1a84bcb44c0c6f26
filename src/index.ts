/**
 * sendtalk-verify as a library: what the CLI does, one function per job.
 *
 *   import { runCreateFlow, startListener, startEmulator } from 'sendtalk-verify';
 *
 * Everything else in src/ is the CLI's and may change in any release; etc/sendtalk-verify.api.md
 * is the reviewed list of what is public (`npm run api` fails when this file changes it).
 *
 * @packageDocumentation
 */

// Create a verification at SendTalk (or at the emulator), and the phone numbers it takes.
export { createVerification, type CreateVerificationOptions } from './client/create-verification.js';
export type { Verification } from './client/parse-verification.js';
export { parsePhone } from './phone.js';

// Receive SendTalk's webhook: a listener that checks the secret of each delivery.
export { startListener, type ListenerOptions, type ListenerHandle, type Delivery } from './webhook/listener.js';

// The whole `create` and `listen` jobs, as the CLI runs them; `tunnel` says how SendTalk reaches them.
export { runCreateFlow, type CreateFlowOptions, type CreateFlowEvent, type CreateResult } from './flow/create-flow.js';
export { runListenFlow } from './flow/listen-flow.js';
export type { ListenFlowOptions, ListenFlowEvent, ListenResult } from './flow/listen-options.js';
export type { Tunnel } from './tunnel/expose-listener.js';
export { openTunnel } from './tunnel/open-tunnel.js';
export type { TunnelHandle } from './tunnel/types.js';

// SendTalk's API on this machine, for your own tests.
export { startEmulator, type EmulatorOptions, type EmulatorHandle } from './emulator/emulator.js';

// Test your own webhook endpoint: one signed event, or the whole set of checks.
export { sendEvent, type SendReport } from './trigger/send-event.js';
export { checkEndpoint, type CheckReport } from './trigger/check-endpoint.js';

// Every failure is a SendtalkVerifyError: `category` says what went wrong, `exitCode` the CLI's code.
export { SendtalkVerifyError, EXIT_CODES, type ErrorCategory } from './errors.js';
export { VERSION } from './version.js';
