// The listener benchmark's baseline: a bare node:http server that reads each body, parses the
// JSON and answers 200 {"ok":true} — what any webhook endpoint does at the least. Prints its URL.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let status = 200;
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      status = 400;
    }
    const body = status === 200 ? '{"ok":true}' : '{"error":"not JSON"}';
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/webhook` })}\n`);
});
process.on('SIGINT', () => server.close(() => process.exit(0)));
