// Reading and answering the HTTP requests the emulator itself receives (Web API, response_url, control).
import { readBody } from '../../../src/runtime/read-body.js';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The request body as text, refused past `limit` bytes. */
export async function readText(req: IncomingMessage, limit = 2_000_000): Promise<string> {
  const body = await readBody(req, limit);
  if (body === null) throw new Error('body too large');
  return body.toString('utf8');
}

/** Answers with JSON, or with plain text when the body is a string (Slack's 5xx pages, response_url's "ok"). */
export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    ...headers,
  });
  res.end(text);
}

/** A request to the control API (the tests' and the demo page's hand on the emulator). */
export interface ControlRoute {
  path: string;
  method: string;
  query: URLSearchParams;
}

/**
 * Serves the control API under /__control/ with `serve` and answers true, or answers false for any other path. An
 * action that fails (a body that is not JSON, an unknown user) is answered 400 with its message.
 */
export async function serveControlPath(
  req: IncomingMessage,
  url: URL,
  res: ServerResponse,
  serve: (route: ControlRoute) => Promise<void>,
): Promise<boolean> {
  if (!url.pathname.startsWith('/__control/')) return false;
  try {
    await serve({ path: url.pathname, method: req.method ?? 'GET', query: url.searchParams });
  } catch (err) {
    send(res, 400, { ok: false, error: err instanceof Error ? err.message : String(err) });
  }
  return true;
}
