import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * A server's connection cap, shared by the webhook listener and the local page (each with its own
 * cap, so that a flood of one never takes the other's file descriptors). Node's `maxConnections`
 * drops every new connection once the cap is reached, so idle keep-alive connections (a flood of
 * them, each sending a request now and then) could lock a real delivery or page out for good.
 * Instead, at the cap, the oldest idle connections (between requests) are closed — an eighth of
 * the cap at a time, so a flood does not cost a scan per connection — and the new one is kept; a
 * real sender whose idle connection is closed just opens another. Only when every connection is
 * busy with a request (a page's event stream is one, for as long as it is open) is the new one
 * dropped.
 */
export function makeRoomAtTheCap(server: Server, max: number): void {
  /** Open connections, oldest first. */
  const open = new Set<Duplex>();
  server.on('connection', (socket: Duplex) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    if (open.size <= max) return;
    let freed = 0;
    const batch = Math.max(1, Math.floor(max / 8));
    for (const other of open) {
      if (freed >= batch) break;
      if (other === socket || other.destroyed || inRequest(other)) continue;
      other.destroy();
      open.delete(other);
      freed++;
    }
    if (freed === 0) {
      open.delete(socket);
      socket.destroy();
    }
  });
}

/**
 * True while the connection is in the middle of a request: node:http sets the answer being
 * written as the socket's `_httpMessage` (its own closeIdleConnections reads it the same way),
 * which costs nothing per request, unlike a listener of our own.
 */
function inRequest(socket: Duplex): boolean {
  const answer = (socket as Duplex & { _httpMessage?: { finished?: boolean } | null })._httpMessage;
  return Boolean(answer) && !answer!.finished;
}
