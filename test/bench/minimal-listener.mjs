// A reference point for the listener benchmark: what `listen --json --secret` must do per delivery,
// done as cheaply as node:http allows — a constant-time secret check (the expected digest computed
// once), JSON parsing, and one NDJSON line per delivery carrying what `listen --json` promises in
// its line (the `--log` record: sequence, time, method, path, status, verdict, id, phone, the
// headers with the secret masked, the raw body as base64; plus the parsed payload), written to
// stdout before the next event — and nothing else. The gap between it and bare-server.mjs is the
// cost of the work itself; the gap between it and the real listener is the cost of how the listener
// does it.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const expected = createHash('sha256')
  .update(process.env.BENCH_SECRET ?? '', 'utf8')
  .digest();

let seq = 0;
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const received = createHash('sha256')
      .update(String(req.headers['x-secret-key'] ?? ''), 'utf8')
      .digest();
    let payload;
    let status = timingSafeEqual(received, expected) ? 200 : 401;
    try {
      payload = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      status = 400;
    }
    const body = status === 200 ? '{"ok":true}' : '{"error":"refused"}';
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    const headers = { ...req.headers, 'x-secret-key': '[redacted]' };
    const body64 = Buffer.concat(chunks).toString('base64');
    process.stdout.write(
      `${JSON.stringify({
        type: 'delivery',
        seq: ++seq,
        receivedAt: new Date().toISOString(),
        method: req.method,
        path: req.url,
        status,
        accepted: status === 200,
        reason: status === 200 ? null : 'refused',
        detail: null,
        verificationId: payload?.verificationID ?? null,
        phone: payload?.userPhone ?? null,
        headers,
        bodyBase64: body64,
        payload,
      })}\n`,
    );
  });
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/webhook` })}\n`);
});
process.on('SIGINT', () => server.close(() => process.exit(0)));
