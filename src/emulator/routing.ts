import type { IncomingMessage, ServerResponse } from 'node:http';
import { CREATE_PATH } from '../client/create-verification.js';
import { CONTROL_PREFIX, handleControl, type ControlContext } from './control-api.js';
import { controlRefusal, hostRefusal } from './control-guard.js';
import type { EmulatorState } from './emulator-state.js';
import { errorEnvelope, successEnvelope, type Envelope } from './envelope.js';
import { answerWithFault, type Answered } from './fault-response.js';
import type { FaultType } from './faults.js';
import { header, parseJson, readBodyText, sendJson } from '../http/server.js';
import { createAnswerData } from './shapes.js';
import type { EmulatedVerification } from './types.js';
import { createVerification } from './verifications.js';
import { PARAM_ERROR_CODE, validateApiKey, validateCreateRequest } from './validate.js';

/** How a request was answered, as the request log tells it. */
type RequestOutcome = Answered & { verificationId?: string; fault?: FaultType };

/** Answers one request, to the control API or the emulated SendTalk API, and reports it as an event. */
export function serveRequest(state: EmulatorState, control: ControlContext, req: IncomingMessage, response: ServerResponse): void {
  const started = Date.now();
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const log = (outcome: RequestOutcome): void => state.emit({ type: 'request', method, path, ...outcome, ms: Date.now() - started });
  (async () => {
    if (path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`)) {
      const answer = controlRefusal(req, state.host, localPort(req)) ?? (await handleControl(req, path, url.searchParams, control));
      sendJson(response, answer.status, answer.body);
      const error = typeof answer.body.error === 'string' ? answer.body.error : undefined;
      return log({ httpStatus: answer.status, error });
    }
    const refused = hostRefusal(req, state.host);
    if (refused) {
      req.resume();
      const envelope = errorEnvelope(403, '40300', `Forbidden: ${refused.body.error as string}`, '');
      sendJson(response, 403, envelope);
      return log({ httpStatus: 403, envelopeStatus: 403, error: envelope.error.message });
    }
    const answered = await serveApi(state, req, response, path);
    if (answered) log(answered);
  })().catch((error: Error) => {
    const envelope = errorEnvelope(500, '50000', error.message, '');
    sendJson(response, 500, envelope);
    log({ httpStatus: 500, envelopeStatus: 500, error: error.message });
  });
}

/** The port the request came in on (the emulator's own). */
function localPort(req: IncomingMessage): number {
  return req.socket.localPort ?? 0;
}

/** Answers an API request: an injected fault first, else the emulated SendTalk API. */
async function serveApi(state: EmulatorState, req: IncomingMessage, res: ServerResponse, path: string): Promise<RequestOutcome | undefined> {
  const fault = state.faults.take();
  const delay = (state.options.latencyMs ?? 0) + (fault?.type === 'latency' ? fault.ms : 0);
  if (delay > 0 && !(await state.scheduler.pause(delay))) return undefined; // closed while waiting
  if (fault && fault.type !== 'latency') {
    // Read the request first, as a server would before failing: the client has finished sending.
    await readBodyText(req);
    return { ...answerWithFault(res, fault), fault: fault.type };
  }
  const tag = fault ? { fault: fault.type } : {};
  if (path === CREATE_PATH || path === `${CREATE_PATH}/`) {
    if (req.method !== 'POST') {
      req.resume();
      const envelope = errorEnvelope(405, '40500', 'Method not allowed', '');
      sendJson(res, 405, envelope, { allow: 'POST' });
      return { httpStatus: 405, envelopeStatus: 405, error: envelope.error.message, ...tag };
    }
    const { httpStatus, envelope, created } = await handleCreate(state, req);
    sendJson(res, httpStatus, envelope);
    return { httpStatus, envelopeStatus: envelope.status, error: envelope.error.message || undefined, verificationId: created?.id, ...tag };
  }
  req.resume();
  sendJson(res, 404, errorEnvelope(404, '40400', 'Not found', ''));
  return { httpStatus: 404, envelopeStatus: 404, error: `nothing at ${path}`, ...tag };
}

/** The create endpoint, answered the SendTalk way: HTTP 200 and the outcome in the envelope. */
async function handleCreate(state: EmulatorState, req: IncomingMessage): Promise<{ httpStatus: number; envelope: Envelope; created?: EmulatedVerification }> {
  const keyError = validateApiKey(header(req, 'api-key'), state.options.apiKey);
  if (keyError) {
    req.resume();
    return { httpStatus: 200, envelope: keyError };
  }
  const raw = await readBodyText(req);
  if (raw === 'too-large') return { httpStatus: 413, envelope: errorEnvelope(413, PARAM_ERROR_CODE, 'Request body is too large', 'body') };
  const checked = validateCreateRequest(parseJson(raw));
  if ('status' in checked) return { httpStatus: 200, envelope: checked };
  const v = createVerification(state, checked);
  const envelope = successEnvelope(createAnswerData(v, state.shape));
  return { httpStatus: 200, envelope, created: v };
}
