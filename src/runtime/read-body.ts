// The one way an HTTP handler reads a request body: into memory, up to a limit. Each caller decides how it
// answers a body that is too long (413) or a stream that fails.
import type { IncomingMessage } from 'node:http';

/**
 * The whole body, or null as soon as it is known to be longer than `limitBytes`: at once when Content-Length
 * announces it, else when the bytes that arrived pass the limit. After null the rest of the body is drained and
 * dropped, so the caller can answer 413 right away and the connection stays usable. Rejects when the stream
 * fails or closes before the body ended.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const announced = Number(req.headers['content-length'] ?? Number.NaN);
    if (Number.isFinite(announced) && announced > limitBytes) {
      req.resume();
      resolve(null);
      return;
    }
    const parts: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      finish();
    };
    req.on('data', (part: Buffer) => {
      if (settled) return;
      size += part.length;
      if (size > limitBytes) {
        parts.length = 0;
        settle(() => resolve(null));
        return;
      }
      parts.push(part);
    });
    req.on('end', () => settle(() => resolve(Buffer.concat(parts))));
    req.on('error', (err) => settle(() => reject(err)));
    req.on('close', () => settle(() => reject(new Error('request closed before its body ended'))));
  });
}
