import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

/** One request as the endpoint saw it, body bytes exactly. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Answer = { status: number; body?: object } | 'hang';

const LIMIT = 64 * 1024;

/**
 * A webhook endpoint on loopback, standing in for a developer's app in `trigger` tests. The base
 * class is the correct endpoint; each subclass makes one typical mistake by overriding one step.
 */
export class CorrectEndpoint extends LoopbackServer {
  readonly requests: ReceivedRequest[] = [];

  constructor(
    readonly secret: string,
    readonly secretHeader = 'X-Secret-Key',
    readonly path = '/webhook',
  ) {
    super();
  }

  get url(): string {
    return `${this.origin}${this.path}`;
  }

  async start(): Promise<this> {
    await this.listen((req, res) => void this.serve(req, res));
    return this;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const early = this.beforeBody(req);
    if (early) return this.answer(req, res, early, Buffer.alloc(0));
    const body = await readAll(req);
    this.answer(req, res, this.afterBody(req, body), body);
  }

  private answer(req: IncomingMessage, res: ServerResponse, answer: Answer, body: Buffer): void {
    this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
    if (answer === 'hang') return;
    const text = JSON.stringify(answer.body ?? {});
    // Refusing before the body is read: close the connection instead of reading a large upload.
    res.writeHead(answer.status, { 'content-type': 'application/json', ...(req.complete ? {} : { connection: 'close' }) });
    res.end(text);
  }

  /** Checks that need no body: path, method, secret, declared size. */
  protected beforeBody(req: IncomingMessage): Answer | undefined {
    if ((req.url ?? '').split('?')[0] !== this.path) return { status: 404, body: { error: 'not found' } };
    if (req.method !== 'POST') return { status: 405, body: { error: 'method not allowed' } };
    const secret = this.checkSecret(req);
    if (secret) return secret;
    if (Number(req.headers['content-length'] ?? 0) > LIMIT) return { status: 413, body: { error: 'too large' } };
    return undefined;
  }

  protected checkSecret(req: IncomingMessage): Answer | undefined {
    const got = req.headers[this.secretHeader.toLowerCase()];
    if (typeof got !== 'string' || got === '') return { status: 401, body: { error: 'secret key is missing' } };
    const a = Buffer.from(got);
    const b = Buffer.from(this.secret);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return { status: 401, body: { error: 'secret key is invalid' } };
    return undefined;
  }

  protected afterBody(_req: IncomingMessage, body: Buffer): Answer {
    if (body.length > LIMIT) return { status: 413, body: { error: 'too large' } };
    try {
      JSON.parse(body.toString('utf8'));
    } catch {
      return this.badJson();
    }
    return { status: 200, body: { ok: true } };
  }

  protected badJson(): Answer {
    return { status: 400, body: { error: 'invalid JSON' } };
  }
}

/** Says 200 to everything: no secret, no method, no JSON, no size check. */
export class AcceptsAnythingEndpoint extends CorrectEndpoint {
  protected override beforeBody(): Answer | undefined {
    return undefined;
  }

  protected override afterBody(): Answer {
    return { status: 200, body: { ok: true } };
  }
}

/** Checks everything but the secret. */
export class IgnoresSecretEndpoint extends CorrectEndpoint {
  protected override checkSecret(): Answer | undefined {
    return undefined;
  }
}

/** Crashes (500) on a body that is not JSON. */
export class FailsOnBadJsonEndpoint extends CorrectEndpoint {
  protected override badJson(): Answer {
    return { status: 500, body: { error: 'Unexpected token' } };
  }
}

/** Never answers. */
export class TimesOutEndpoint extends CorrectEndpoint {
  protected override beforeBody(): Answer | undefined {
    return 'hang';
  }
}

/** Echoes the request headers back in the body, as some debug routes do: a secret must still not show. */
export class EchoesHeadersEndpoint extends CorrectEndpoint {
  protected override afterBody(req: IncomingMessage): Answer {
    return { status: 200, body: { received: req.headers } };
  }
}

/** Echoes the secret it received in other spellings (upper case, hex, base64, base64url), as a careless debug route might. */
export class EchoesSpellingsEndpoint extends CorrectEndpoint {
  protected override afterBody(req: IncomingMessage): Answer {
    const value = String(req.headers['x-secret-key'] ?? req.headers['secret-key'] ?? '');
    const bytes = Buffer.from(value, 'utf8');
    return {
      status: 200,
      body: { upper: value.toUpperCase(), hex: bytes.toString('hex'), base64: bytes.toString('base64'), base64url: bytes.toString('base64url') },
    };
  }
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(Buffer.concat(chunks)));
  });
}
