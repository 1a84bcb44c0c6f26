// A reference point for the listener benchmark: the built library's `startListener` with the secret
// check, and no output at all. Against bare-server.mjs it is the cost of the listener's own checks
// (secret, path, method, content type, UTF-8, depth, size) and its delivery record; against
// `listen --json` it is the cost of writing that record as an NDJSON line per delivery.
import { startListener } from '../../dist/index.js';

const listener = await startListener({ secret: process.env.BENCH_SECRET, keepAccepted: 0 });
process.stdout.write(`${JSON.stringify({ url: listener.url })}\n`);
process.on('SIGINT', () => void listener.close().then(() => process.exit(0)));
