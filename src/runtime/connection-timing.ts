// When the HTTP server accepted each connection, so a handler can say how long its request waited inside the worker
// (the event loop busy, other requests first) before it ran. The server marks every new connection; a handler reads
// the time since then for the first request on it (a later request on a kept-alive connection arrived some unknown
// time after the accept: it gets null).
import type { IncomingMessage } from 'node:http';

const acceptedAt = new WeakMap<object, number>();

export function markAccepted(socket: object, now: number = performance.now()): void {
  acceptedAt.set(socket, now);
}

/**
 * Milliseconds since the server accepted this request's connection, read once per connection: null for a later
 * request on the same connection and for a connection the server did not mark.
 */
export function sinceAccepted(req: IncomingMessage, now: number = performance.now()): number | null {
  const at = acceptedAt.get(req.socket);
  if (at === undefined) return null;
  acceptedAt.delete(req.socket);
  return now - at;
}
